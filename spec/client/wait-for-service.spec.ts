/**
 * `waitForService` on a connection whose directory binding has already ended: it rejects with that end's error,
 * promptly, and nothing is thrown from a timer (it used to crash the process with a ReferenceError).
 */
import { expect } from 'chai';
import { connect, createServiceDirectory, QiError } from '../../lib/index.js';
import { eventually } from '../helpers.js';
import { within } from '../e2e/topology.js';

describe('waiting for a service', () => {
  it('rejects at once when the directory binding has ended, and throws nothing from a timer', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://wait-sd'] });
    // Without reconnection, the directory's end is the end of this connection's binding to it.
    const connection = await connect('memory://wait-sd', { reconnect: false });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const bound = await connection.directory();
      await directory.close();
      await eventually(() => bound.actor.getSnapshot().status !== 'active', 1_000, 'the directory binding to end');
      const error = await within(
        connection.waitForService('later', { timeout: 200 }).then(
          () => expect.fail('must reject'),
          (err: unknown) => err,
        ),
        1_000,
        'waitForService',
      );
      expect(error).to.be.instanceOf(QiError);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(uncaught).to.deep.equal([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await connection.close();
      await directory.close();
    }
  });
});

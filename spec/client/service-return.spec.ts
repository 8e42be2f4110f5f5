/**
 * `whenServiceGone: 'wait'`: a client whose service goes away stays suspended and binds again once the service is
 * back, and calls made meanwhile go out then; by default it ends with ServiceGone.
 */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory, ServiceGoneError, type Status } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';

describe('a client waiting for its service to come back', () => {
  it('binds again once the service registers again, and sends what waited', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://return-sd'] });
    const gateway = await createGateway({ directory: directory.url, listen: ['memory://return-gw'] });
    const connection = await connect('memory://return-gw', { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    let calc = await createService('calc', { add: (a: number, b: number) => a + b }, { directory: directory.url });
    try {
      const waiting = await connection.service<{ add(a: number, b: number): number }>('calc', { whenServiceGone: 'wait' });
      const ending = await connection.service<{ add(a: number, b: number): number }>('calc');
      const statuses: Status['status'][] = [];
      waiting.onStatus((s) => statuses.push(s.status));
      await calc.close();
      await eventually(() => waiting.actor.getSnapshot().value === 'suspended', 1_000, 'the waiting client to be suspended');
      expect(await ending.closed).to.be.instanceOf(ServiceGoneError);
      const meanwhile = waiting.add(2, 3);
      await new Promise((resolve) => setTimeout(resolve, 150));
      calc = await createService('calc', { add: (a: number, b: number) => a + b + 1000 }, { directory: directory.url });
      expect(await meanwhile, 'sent to the service that came back').to.equal(1005);
      expect(waiting.actor.getSnapshot().value).to.equal('bound');
      expect(statuses).to.deep.equal(['disconnected', 'rebound']);
      await rejection(ending.add(1, 1), ServiceGoneError);
    } finally {
      await connection.close();
      await calc.close();
      await gateway.close();
      await directory.close();
    }
  });
});

/**
 * A ServiceDirectory restart behind a gateway: binds fail with DirectoryUnavailable while it is down (not
 * ConnectionLost, which would blame the client's own link); once it is back, every service registers again, the
 * gateway reconnects, new binds work, and a client's directory handle follows.
 */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory, DirectoryUnavailableError } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';

describe('a directory that restarts behind a gateway', () => {
  it('refuses binds with DirectoryUnavailable while down, and everything follows once it is back', async function () {
    this.timeout(10_000);
    let directory = await createServiceDirectory({ listen: ['memory://restart-sd'] });
    const reconnect = { initialDelayMs: 20, maxDelayMs: 200 };
    const calc = await createService('calc', { add: (a: number, b: number) => a + b }, { directory: directory.url, reconnect });
    const gateway = await createGateway({ directory: directory.url, listen: ['memory://restart-gw'], reconnect });
    const connection = await connect('memory://restart-gw');
    try {
      expect((await connection.services()).map((s) => s.name)).to.include('calc');
      await directory.close();
      await eventually(() => gateway.actor.getSnapshot().matches('reconnecting'), 1_000, 'the gateway to notice');
      const refusal = await rejection(connection.service('calc'), DirectoryUnavailableError);
      expect(refusal.message).to.contain('memory://restart-sd');
      expect(connection.isOpen, "the client's own link is fine").to.equal(true);

      const restarted = Date.now();
      directory = await createServiceDirectory({ listen: ['memory://restart-sd'] });
      await eventually(() => gateway.actor.getSnapshot().matches('ready') && directory.services().some((s) => s.name === 'calc'), 3_000, 'the gateway and calc to be back');
      const backAfter = Date.now() - restarted;
      console.log(`      (the gateway and the service were back ${backAfter} ms after the directory started again)`);
      const client = await connection.service<{ add(a: number, b: number): number }>('calc');
      expect(await client.add(2, 3)).to.equal(5);
      expect((await connection.services()).map((s) => s.name), 'the directory handle follows').to.include('calc');
      expect(backAfter).to.be.below(1_500);
    } finally {
      await connection.close();
      await gateway.close();
      await calc.close();
      await directory.close();
    }
  });
});

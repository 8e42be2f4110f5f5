/**
 * A gateway lives for months while clients bind and unbind: closed bindings must leave nothing behind. (XState
 * caches transition candidates per event type, so children named uniquely once grew their parent by one cache
 * entry per binding; see actorId in lib/actor-runtime.ts.)
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory } from '../../lib/index.js';
import { eventually } from '../helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('binding churn', function () {
  this.timeout(60_000);

  it('keeps the heap flat while thousands of bindings come and go through a gateway', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://churn-sd'] });
    const gateway = await createGateway({ directory: directory.url, listen: ['memory://churn-gw'] });
    const service = await createService('counter', { get: () => 1 }, { directory: directory.url });
    const connection = await connect(gateway.url);
    try {
      const churn = async (rounds: number): Promise<void> => {
        for (let round = 0; round < rounds; round++) {
          const clients = await Promise.all(Array.from({ length: 1_000 }, () => connection.service('counter')));
          await Promise.all(clients.map((client) => client.close()));
        }
        // A client's close does not wait for the gateway to process its unbind: wait for the forwarders to end.
        await eventually(() => gateway.forwarders.size === 0, 5_000, 'every forwarder to end');
      };
      await churn(3);
      const before = heap();
      await churn(6);
      const grownPerBinding = (heap() - before) / 6_000;
      expect(grownPerBinding, `heap grew ${grownPerBinding.toFixed(0)} bytes per closed binding`).to.be.below(100);
    } finally {
      await connection.close();
      await service.close();
      await gateway.close();
      await directory.close();
    }
  });
});

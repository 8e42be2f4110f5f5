/**
 * A signal loop tells why it ended: normally after the client's own close() (spec/e2e/object-model.spec.ts), by
 * throwing the reason when the service goes away, after the emissions already received.
 */
import { expect } from 'chai';
import { ServiceGoneError, signal } from '../../lib/index.js';
import { eventually } from '../helpers.js';
import { Topology } from '../e2e/topology.js';

describe('a signal iterator', () => {
  it('ends by throwing ServiceGone when the service goes away, after what it had received', async () => {
    const topology = await Topology.start('gateway', 'memory');
    try {
      const ticker = { tick: signal<[n: number]>() };
      const service = await topology.addService('ticker', ticker);
      const client = await (await topology.connectFor('ticker')).service<typeof ticker>('ticker');
      const seen: number[] = [];
      let ended: unknown = 'not yet';
      const reading = (async () => {
        try {
          for await (const [n] of client.signal('tick')) seen.push(n);
          ended = 'normally';
        } catch (err) {
          ended = err;
        }
      })();
      // Through a gateway, the subscription is in place once the gateway's fan-out has registered upstream.
      await eventually(() => service.stats.calls > 0, 1_000, 'the subscription at the service');
      ticker.tick.emit(1);
      ticker.tick.emit(2);
      await eventually(() => seen.length === 2, 1_000, 'two emissions');
      await service.close();
      await reading;
      expect(seen).to.deep.equal([1, 2]);
      expect(ended).to.be.instanceOf(ServiceGoneError);
    } finally {
      await topology.close();
    }
  });
});

/**
 * A signal loop tells why it ended: normally after the client's own close() (spec/e2e/object-model.spec.ts), by
 * throwing the reason when the service goes away, after the emissions already received.
 */
import { expect } from 'chai';
import { NoSuchMemberError, ServiceGoneError, signal } from '../../lib/index.js';
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

  for (const transport of ['memory', 'tcp'] as const) {
    it(`resolves ready once the subscription is in place: an emission right after it is seen (gateway, ${transport})`, async () => {
      const topology = await Topology.start('gateway', transport);
      try {
        const ticker = { tick: signal<[n: number]>() };
        await topology.addService('ticker', ticker);
        const client = await (await topology.connectFor('ticker')).service<typeof ticker>('ticker');
        const ticks = await client.signal('tick').ready;
        ticker.tick.emit(1); // at once: no wait for the gateway's fan-out
        const first = await ticks.next();
        expect(first).to.deep.equal({ value: [1], done: false });
        await ticks.return?.();
      } finally {
        await topology.close();
      }
    });
  }

  it('rejects ready with the reason the subscription could not be made', async () => {
    const topology = await Topology.start('direct', 'memory');
    try {
      await topology.addService('ticker', { tick: signal<[n: number]>() });
      const client = await (await topology.connectFor('ticker')).service('ticker');
      const refused = await client.signal('tock').ready.then(() => undefined, (err: unknown) => err);
      expect(refused).to.be.instanceOf(NoSuchMemberError);
    } finally {
      await topology.close();
    }
  });
});

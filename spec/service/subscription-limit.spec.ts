/**
 * Subscriptions are bounded per link, across its bindings: a peer that binds many channels and subscribes each
 * would make every emission cost that many Event frames. One more is LimitExceeded; other links are not touched;
 * an unsubscribe or a closed binding gives its place back, and subscribing twice counts once.
 */
import { expect } from 'chai';
import { connect, createService, LimitExceededError, signal, type Signal } from '../../lib/index.js';
import { rejection } from '../helpers.js';

describe('subscriptions per link', () => {
  it('are bounded across the bindings of one link; other links, unsubscribes and closed bindings go on', async () => {
    const impl = { ticked: signal<[n: number]>(), tocked: signal<[n: number]>() };
    type Ticker = { ticked: Signal<[n: number]>; tocked: Signal<[n: number]> };
    const service = await createService('ticker', impl, { listen: ['memory://sub-limit'], maxSubscriptionsPerLink: 3 });
    const greedy = await connect('memory://sub-limit');
    const other = await connect('memory://sub-limit');
    try {
      const [a, b] = await Promise.all([greedy.service<Ticker>('ticker'), greedy.service<Ticker>('ticker')]);
      const listener = (): void => {};
      await a!.on('ticked', listener);
      await a!.on('ticked', () => {}); // a second listener of the same signal: still one subscription
      await a!.on('tocked', listener);
      await b!.on('ticked', listener);
      const error = await rejection(b!.on('tocked', listener), LimitExceededError);
      expect(error.message).to.match(/limit 3/);

      const seen: number[] = [];
      const elsewhere = await other.service<Ticker>('ticker');
      await elsewhere.on('tocked', (n) => seen.push(n));
      impl.tocked.emit(1);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(seen).to.deep.equal([1]);

      await a!.off('tocked', listener);
      await b!.on('tocked', listener);
      await rejection(b!.on('tocked', () => {}).then(() => greedy.service<Ticker>('ticker')).then((c) => c.on('ticked', listener)), LimitExceededError);
      // a holds ticked, b ticked and tocked: closing a gives its one place back.
      await a!.close();
      const c = await greedy.service<Ticker>('ticker');
      await c.on('ticked', listener);
      await rejection(c.on('tocked', listener), LimitExceededError);
    } finally {
      await greedy.close();
      await other.close();
      await service.close();
    }
  });
});

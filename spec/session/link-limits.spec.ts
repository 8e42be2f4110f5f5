/**
 * Links a listening handle accepts at once, in all and per remote host: one more is refused with LimitExceeded
 * before its handshake (the peer's connect says so), and a closed link frees its place.
 */
import { expect } from 'chai';
import { connect, createService, LimitExceededError, TransportRegistry, type Connection } from '../../lib/index.js';
import { FakeTransport } from '../../lib/testing/index.js';
import { eventually, rejection } from '../helpers.js';

describe('link limits', () => {
  for (const [option, limit] of [['maxLinksPerAddress', 3], ['maxLinks', 2]] as const) {
    it(`refuse a link beyond ${option} (${limit}) with LimitExceeded, and take one again once a link closes`, async () => {
      const fake = new FakeTransport();
      const transports = new TransportRegistry([fake]);
      const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: ['fake://calc'], [option]: limit });
      const connections: Connection[] = [];
      try {
        for (let i = 0; i < limit; i++) connections.push(await connect('fake://calc', { transports }));
        const refused = await rejection(connect('fake://calc', { transports, reconnect: false }), LimitExceededError);
        expect(refused.message).to.contain(String(limit));
        await connections.pop()!.close();
        await eventually(() => service.actor.getSnapshot().context.host.links.sessions.size < limit, 1_000, 'the place to be freed');
        connections.push(await connect('fake://calc', { transports }));
        expect(await (await connections.at(-1)!.service<{ add(a: number, b: number): number }>('calc')).add(1, 2)).to.equal(3);
      } finally {
        for (const connection of connections) await connection.close();
        await service.close();
      }
    });
  }
});

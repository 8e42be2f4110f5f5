/**
 * The bytes all accepted links of one host hold unread are bounded together (maxBufferedBytesTotal), not only per
 * link: when slow peers together pass it, the links holding the most are closed with LimitExceeded, and the others
 * stay open.
 */
import { expect } from 'chai';
import { LimitExceededError, TransportRegistry } from '../../lib/index.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { ControlAction, MAIN_OBJECT, type BindReply } from '../../lib/protocol/control.js';
import { MessageType } from '../../lib/protocol/header.js';
import { describeMembers } from '../../lib/service/meta-object.js';
import { ServiceHost } from '../../lib/service/service-host.js';
import { openLink } from '../../lib/session/open-link.js';
import { Session } from '../../lib/session/session.js';
import { FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { eventually } from '../helpers.js';

describe('bytes held unread by all accepted links together', () => {
  it('are bounded: past maxBufferedBytesTotal the links holding the most are closed, the others stay', async () => {
    const fake = new FakeTransport();
    const transports = new TransportRegistry([fake]);
    const later: Array<() => void> = [];
    const impl = { laterChunk: () => new Promise<Uint8Array>((resolve) => later.push(() => resolve(new Uint8Array(64 << 10)))) };
    const host = new ServiceHost('bulk', describeMembers('bulk', impl), transports, { maxBufferedBytes: 8 << 20, maxBufferedBytesTotal: 1_280 << 10, heartbeat: false });
    await host.links.listen(['fake://bulk-total']);
    const clients: Array<{ session: Session; serviceEnd: FakeLink }> = [];
    try {
      for (const calls of [16, 8]) {
        const session = new Session('initiator', { heartbeat: false });
        await openLink(session, transports, 'fake://bulk-total');
        const serviceEnd = fake.links.at(-1)!;
        const reply = (await session.controlCall(ControlAction.bind, { name: 'bulk' })) as BindReply;
        session.attachChannel(reply.channel, { onFrame: () => {}, onClosed: () => {} });
        const action = reply.metaObject.methods[0]!.id;
        for (let id = 1; id <= calls; id++) session.sendFrame(encodeMessage({ type: MessageType.Call, channel: reply.channel, id, object: MAIN_OBJECT, action }, []));
        clients.push({ session, serviceEnd });
      }
      await eventually(() => later.length === 24, 1_000, 'the calls to run');
      const reasons: unknown[] = [];
      for (const acceptor of host.links.sessions) acceptor.onClosed((reason) => reasons.push(reason));
      for (const { serviceEnd } of clients) serviceEnd.congest();
      for (const answer of later.splice(0)) answer();
      const [big, small] = clients as [(typeof clients)[0], (typeof clients)[0]];
      // 1 MiB + 0.5 MiB held against a 1.25 MiB bound: the 1 MiB link goes, within a check or two.
      await eventually(() => big.serviceEnd.closed, 1_500, 'the link holding the most to close');
      const atService = [...host.links.sessions];
      expect(atService, 'the other acceptor session stays').to.have.length(1);
      expect(small.serviceEnd.closed).to.equal(false);
      expect(small.serviceEnd.bufferedBytes).to.be.within(500 << 10, 600 << 10);
      expect(reasons).to.have.length(1);
      expect(reasons[0]).to.be.instanceOf(LimitExceededError);
      expect((reasons[0] as Error).message).to.match(/hold more than 1310720 bytes/);
    } finally {
      for (const { session } of clients) session.close();
      await host.close();
    }
  });
});

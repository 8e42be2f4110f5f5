/**
 * A client that breaks the protocol against a service, driven frame by frame through the fake transport:
 * it loses its own link, with a typed error where one can be sent.
 */
import { expect } from 'chai';
import {
  ConnectionLostError,
  createService,
} from '../../lib/index.js';
import { ControlAction, MAIN_OBJECT } from '../../lib/protocol/control.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { MessageType, type FrameHeader } from '../../lib/protocol/header.js';
import { decodeFrames, type FakeLink } from '../../lib/testing/index.js';
import { capabilityFrame, withFakeTransport, eventually } from '../helpers.js';
import { within } from '../e2e/topology.js';

const capability = capabilityFrame;

const frame = (header: FrameHeader, body: unknown): Uint8Array => encodeMessage(header, body);

describe('a hostile or broken client of a service', () => {
  const harness = withFakeTransport();

  describe('a client that', () => {
    it('sends something other than a Capability first gets an Error frame and loses its link', async () => {
      const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports: harness.transports, listen: ['fake://calc'] });
      harness.opened.push(service);
      const link = (await harness.fake.connect(new URL('fake://calc'))) as FakeLink;
      const closed = new Promise((resolve) => link.onClose(resolve));
      link.send(frame({ id: 9, type: MessageType.Call, channel: 0, object: 0, action: ControlAction.bind }, { name: 'calc' }));
      const reason = await within(closed, 1_000, 'the link to close');
      expect(reason).to.be.instanceOf(ConnectionLostError);
      const [answer] = decodeFrames(link.peer!.sent);
      expect(answer!.header.type).to.equal(MessageType.Error);
      expect(answer!.header.id).to.equal(9);
      expect(answer!.body).to.deep.include({ code: 'ProtocolError' });
    });

    it('never sends a handshake loses its link after the handshake timeout', async () => {
      const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports: harness.transports, listen: ['fake://calc'], handshakeTimeoutMs: 30 });
      harness.opened.push(service);
      const link = (await harness.fake.connect(new URL('fake://calc'))) as FakeLink;
      const closed = new Promise((resolve) => link.onClose(resolve));
      await within(closed, 1_000, 'the silent link to be closed');
    });

    it('calls on a channel it never bound (or already unbound) gets ServiceGone, and its link stays open', async () => {
      const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports: harness.transports, listen: ['fake://calc'] });
      harness.opened.push(service);
      const link = (await harness.fake.connect(new URL('fake://calc'))) as FakeLink;
      link.send(capability());
      link.send(frame({ id: 5, type: MessageType.Call, channel: 42, object: MAIN_OBJECT, action: 100 }, [1, 2]));
      await eventually(() => link.peer!.sent.length >= 2, 1_000, 'the answer');
      const [, answer] = decodeFrames(link.peer!.sent);
      expect(answer!.header).to.deep.include({ id: 5, type: MessageType.Error, channel: 42 });
      expect(answer!.body).to.deep.include({ code: 'ServiceGone' });
      expect(link.closed).to.equal(false);
      link.close();
    });

    it('posts to a member id the service does not have: dropped and counted, never answered', async () => {
      const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports: harness.transports, listen: ['fake://calc'] });
      harness.opened.push(service);
      const link = (await harness.fake.connect(new URL('fake://calc'))) as FakeLink;
      link.send(capability());
      link.send(frame({ id: 1, type: MessageType.Call, channel: 0, object: 0, action: ControlAction.bind }, { name: 'calc' }));
      await eventually(() => link.peer!.sent.length >= 2, 1_000, 'the bind reply');
      const { channel } = decodeFrames(link.peer!.sent)[1]!.body as { channel: number };
      link.send(frame({ id: 0, type: MessageType.Post, channel, object: MAIN_OBJECT, action: 999 }, [1]));
      link.send(frame({ id: 2, type: MessageType.Call, channel, object: MAIN_OBJECT, action: 100 }, [1, 2]));
      await eventually(() => link.peer!.sent.length >= 3, 1_000, 'the answer to the call after the post');
      expect(service.stats.droppedPosts).to.equal(1);
      const answers = decodeFrames(link.peer!.sent.slice(2));
      expect(answers.map((a) => [a.header.type, a.header.id, a.body])).to.deep.equal([[MessageType.Reply, 2, 3]]);
      link.close();
    });

  });
});

/**
 * A server that breaks the protocol, driven frame by frame through the fake transport: the client side
 * (Connection, Client) fails with a typed error and only that link suffers.
 */
import { expect } from 'chai';
import {
  CanceledError,
  ConnectionLostError,
  connect,
  ProtocolError,
  TimeoutError,
  type Connection,
} from '../../lib/index.js';
import { ControlAction } from '../../lib/protocol/control.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { MessageType, type FrameHeader } from '../../lib/protocol/header.js';
import { FakeTransport, decodeFrames, type FakeLink } from '../../lib/testing/index.js';
import { capabilityFrame, withFakeTransport, eventually, rejection } from '../helpers.js';
import { within } from '../e2e/topology.js';

const capability = capabilityFrame;

const frame = (header: FrameHeader, body: unknown): Uint8Array => encodeMessage(header, body);

/** A fake "server" the test drives: every link accepted at fake://server is handed to `accepted`. */
async function fakeServer(fake: FakeTransport): Promise<{ next(): Promise<FakeLink> }> {
  await fake.listen(new URL('fake://server'), () => {});
  return { next: () => fake.nextLink() };
}

/** Answers the handshake on `link` like a well-behaved acceptor would. */
async function acceptHandshake(link: FakeLink): Promise<void> {
  await eventually(() => link.peer!.sent.length > 0, 1_000, 'the client capability');
  link.send(capability());
}

describe('a hostile or broken server', () => {
  const harness = withFakeTransport();

  async function connectToFake(): Promise<{ connection: Connection; server: FakeLink }> {
    const server = await fakeServer(harness.fake);
    const serverLink = server.next();
    const connecting = connect('fake://server', { transports: harness.transports });
    const link = await serverLink;
    await acceptHandshake(link);
    const connection = await connecting;
    harness.opened.push(connection);
    return { connection, server: link };
  }

  describe('a server that', () => {
    it('answers the handshake with something else fails connect with ProtocolError', async () => {
      const server = await fakeServer(harness.fake);
      const serverLink = server.next();
      const connecting = connect('fake://server', { transports: harness.transports });
      const link = await serverLink;
      link.send(frame({ id: 1, type: MessageType.Reply, channel: 0, object: 0, action: 1 }, 'hello'));
      const error = await rejection(connecting, ProtocolError);
      expect(error.message).to.contain('Capability');
    });

    it('speaks another protocol version fails connect with ProtocolError', async () => {
      const server = await fakeServer(harness.fake);
      const serverLink = server.next();
      const connecting = connect('fake://server', { transports: harness.transports });
      const link = await serverLink;
      link.send(encodeMessage({ id: 0, type: MessageType.Capability, channel: 0, object: 0, action: 0 }, { protocol: 2, features: {} }));
      expect((await rejection(connecting, ProtocolError)).message).to.contain('unsupported protocol 2');
    });

    it('never answers the handshake fails connect with a Timeout', async () => {
      await fakeServer(harness.fake);
      const error = await rejection(connect('fake://server', { transports: harness.transports, handshakeTimeoutMs: 30 }), Error);
      expect((error as { code?: string }).code).to.equal('Timeout');
    });

    it('sends a reply for an unknown call id: ignored, counted, nothing else happens', async () => {
      const { connection, server } = await connectToFake();
      const session = connection.actor.getSnapshot().context.session!;
      server.send(frame({ id: 4242, type: MessageType.Reply, channel: 0, object: 0, action: ControlAction.bind }, { channel: 1 }));
      server.send(frame({ id: 4243, type: MessageType.Error, channel: 7, object: 1, action: 100 }, { code: 'RemoteError', message: 'x' }));
      await eventually(() => session.stats.unknownReplies === 2, 1_000, 'both replies to be counted');
      expect(connection.isOpen).to.equal(true);
    });

    it('sends a malformed bind reply: the bind fails with ProtocolError, the connection stays', async () => {
      const { connection, server } = await connectToFake();
      const binding = connection.service('calc');
      await eventually(() => server.peer!.sent.length >= 2, 1_000, 'the bind call');
      const [, bindCall] = decodeFrames(server.peer!.sent);
      server.send(frame({ id: bindCall!.header.id, type: MessageType.Reply, channel: 0, object: 0, action: ControlAction.bind }, { channel: 0, metaObject: 'nope' }));
      await rejection(binding, ProtocolError);
      expect(connection.isOpen).to.equal(true);
    });

    it('sends garbage bytes: that link closes with ProtocolError and its pending calls fail with ConnectionLost', async () => {
      const { connection, server } = await connectToFake();
      const binding = connection.service('calc');
      await eventually(() => server.peer!.sent.length >= 2, 1_000, 'the bind call');
      server.peer!.injectBytes(new Uint8Array(64).fill(0xab));
      const error = await within(rejection(binding, ConnectionLostError), 1_000, 'the pending bind');
      expect(error.message).to.contain('bad magic');
      // The link is gone; the connection tries again (the fake server accepts nothing more here).
      await eventually(() => connection.actor.getSnapshot().matches('reconnecting'), 1_000, 'the connection to reconnect');
      expect(connection.actor.getSnapshot().context.error?.code).to.equal('ProtocolError');
    });

    it('drops the link with calls pending: they fail with ConnectionLost at once', async () => {
      const { connection, server } = await connectToFake();
      const binding = connection.service('calc');
      await eventually(() => server.peer!.sent.length >= 2, 1_000, 'the bind call');
      server.drop();
      await within(rejection(binding, ConnectionLostError), 200, 'the pending bind');
    });
  });

  describe('closing while connecting', () => {
    it('aborts a connect stuck in the transport with CanceledError and leaves no link', async () => {
      await fakeServer(harness.fake);
      harness.fake.holdConnects();
      const controller = new AbortController();
      const connecting = connect('fake://server', { transports: harness.transports, signal: controller.signal });
      setTimeout(() => controller.abort(), 5);
      await within(rejection(connecting, CanceledError), 1_000, 'the aborted connect');
      harness.fake.releaseConnects();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(harness.fake.links.filter((l) => !l.closed)).to.have.length(0);
    });

    it('gives TimeoutError for a connect whose signal times out (AbortSignal.timeout), as its own timeout does', async () => {
      await fakeServer(harness.fake);
      harness.fake.holdConnects();
      await within(rejection(connect('fake://server', { transports: harness.transports, signal: AbortSignal.timeout(10) }), TimeoutError), 1_000, 'the timed-out connect');
      await within(rejection(connect('fake://server', { transports: harness.transports, timeout: 10 }), TimeoutError), 1_000, 'the connect timeout');
      harness.fake.releaseConnects();
    });

    it('aborts a connect stuck in the handshake with CanceledError and closes the link', async () => {
      const server = await fakeServer(harness.fake);
      const serverLink = server.next();
      const controller = new AbortController();
      const connecting = connect('fake://server', { transports: harness.transports, signal: controller.signal });
      const link = await serverLink;
      controller.abort();
      await rejection(connecting, CanceledError);
      await eventually(() => link.closed, 1_000, 'the server end to see the close');
    });
  });

});

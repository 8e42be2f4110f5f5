/**
 * A gateway's forwarding route in isolation: two sessions on fake links, the test playing the client and the
 * service. Frames cross with their channel rewritten and their bytes otherwise untouched; congestion pauses the
 * client (the source of the work), never the service link that other clients share; a client that does not read is
 * cut past its link's byte limit, and one binding's calls in flight are bounded; either end closing ends the route
 * once.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { ConnectionLostError, LimitExceededError } from '../../lib/index.js';
import { ForwardingRoute } from '../../lib/gateway/forwarding-route.js';
import { SignalFanout } from '../../lib/gateway/signal-fanout.js';
import { decodeMessageBody, encodeMessage } from '../../lib/protocol/codec.js';
import { frameChannel, frameId, frameType, MessageType } from '../../lib/protocol/header.js';
import type { FakeLink } from '../../lib/testing/index.js';
import { eventually, fakeSession } from '../helpers.js';

const SERVICE_CHANNEL = 7;

describe('a forwarding route', () => {
  let client: Awaited<ReturnType<typeof fakeSession>>;
  let service: Awaited<ReturnType<typeof fakeSession>>;
  let route: ForwardingRoute;
  let down: number;

  beforeEach(async () => {
    client = await fakeSession('acceptor');
    service = await fakeSession('initiator');
    route = new ForwardingRoute(client.session, service.session, SERVICE_CHANNEL, new SignalFanout(service.session, 'calc'));
    down = route.install();
  });
  afterEach(() => {
    client.session.close();
    service.session.close();
  });

  const call = (channel: number, id: number): Uint8Array =>
    encodeMessage({ type: MessageType.Call, channel, id, object: 1, action: 100 }, [1, 2]);

  it('forwards a call up and its reply down, rewriting only the channel', async () => {
    client.peer.send(call(down, 42));
    await eventually(() => service.received.length === 1, 1_000, 'the forwarded call');
    const up = service.received[0]!;
    expect(frameChannel(up)).to.equal(SERVICE_CHANNEL);
    expect(frameId(up), "the client's call id, not one of the gateway's").to.equal(42);

    service.peer.send(encodeMessage({ type: MessageType.Reply, channel: SERVICE_CHANNEL, id: 42, object: 1, action: 100 }, 3));
    await eventually(() => client.received.length === 1, 1_000, 'the forwarded reply');
    expect(frameChannel(client.received[0]!)).to.equal(down);
    expect(frameId(client.received[0]!)).to.equal(42);
    expect(service.session.stats.unknownReplies, 'a relayed reply is not taken for a call of the gateway').to.equal(0);
    expect([route.framesUp, route.framesDown]).to.deep.equal([1, 1]);
  });

  it('pauses the client link while the service link is congested, and resumes it on drain', async () => {
    const clientLink = client.link;
    service.link.congest();
    client.peer.send(call(down, 1));
    await eventually(() => clientLink.isPaused, 1_000, 'the client link to be paused');
    client.peer.send(call(down, 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(service.received.length, 'what the paused client sends waits').to.equal(1);

    service.link.drain();
    expect(clientLink.isPaused).to.equal(false);
    await eventually(() => service.received.length === 2, 1_000, 'the call sent while paused');
  });

  const reply = (id: number, size = 1): Uint8Array =>
    encodeMessage({ type: MessageType.Reply, channel: SERVICE_CHANNEL, id, object: 1, action: 100 }, new Uint8Array(size));

  it('pauses the client link, not the shared service link, while the client link is congested', async () => {
    client.link.congest();
    service.peer.send(reply(1));
    await eventually(() => client.link.isPaused, 1_000, 'the client link to be paused');
    expect(service.link.isPaused, 'the service link other clients share').to.equal(false);
    client.link.drain();
    expect(client.link.isPaused).to.equal(false);
  });

  it('keeps forwarding other clients\' replies from the service link while one client is congested', async () => {
    const other = await fakeSession('acceptor');
    try {
      const otherRoute = new ForwardingRoute(other.session, service.session, SERVICE_CHANNEL + 1, new SignalFanout(service.session, 'calc'));
      const otherDown = otherRoute.install();
      client.link.congest();
      service.peer.send(reply(1));
      await eventually(() => client.link.isPaused, 1_000, 'the congested client to be paused');
      service.peer.send(encodeMessage({ type: MessageType.Reply, channel: SERVICE_CHANNEL + 1, id: 9, object: 1, action: 100 }, 2));
      await eventually(() => other.received.length === 1, 1_000, "the other client's reply");
      expect(frameChannel(other.received[0]!)).to.equal(otherDown);
    } finally {
      other.session.close();
    }
  });

  it('bounds the calls of one binding in flight: past the bound, a call is answered LimitExceeded and not forwarded', async () => {
    const limited = await fakeSession('acceptor', { maxCallsInFlightPerBinding: 3 });
    try {
      const limitedRoute = new ForwardingRoute(limited.session, service.session, SERVICE_CHANNEL + 2, new SignalFanout(service.session, 'calc'));
      const limitedDown = limitedRoute.install();
      for (let id = 1; id <= 5; id++) limited.peer.send(call(limitedDown, id));
      await eventually(() => limited.received.length === 2, 1_000, 'the two refused calls');
      expect(service.received.map(frameId), 'forwarded').to.deep.equal([1, 2, 3]);
      expect(limited.received.map(frameId), 'refused').to.deep.equal([4, 5]);
      expect(frameType(limited.received[0]!)).to.equal(MessageType.Error);
      expect(frameChannel(limited.received[0]!)).to.equal(limitedDown);
      expect((decodeMessageBody(limited.received[0]!) as { code: string }).code).to.equal('LimitExceeded');
      expect(limitedRoute.callsInFlight).to.equal(3);

      // An answer makes room for one more call.
      service.peer.send(encodeMessage({ type: MessageType.Error, channel: SERVICE_CHANNEL + 2, id: 1, object: 1, action: 100 }, { code: 'RemoteError', message: 'no' }));
      await eventually(() => limited.received.length === 3, 1_000, 'the forwarded answer');
      expect(limitedRoute.callsInFlight).to.equal(2);
      limited.peer.send(call(limitedDown, 6));
      await eventually(() => service.received.length === 4, 1_000, 'the call that now has room');
      expect(frameId(service.received[3]!)).to.equal(6);
    } finally {
      limited.session.close();
    }
  });

  it("closes a client link that holds more than its maxBufferedBytes with LimitExceeded; the service link and others' routes are untouched", async () => {
    const slow = await fakeSession('acceptor', {}, { maxBufferedBytes: 256 << 10 });
    try {
      const slowRoute = new ForwardingRoute(slow.session, service.session, SERVICE_CHANNEL + 3, new SignalFanout(service.session, 'calc'));
      slowRoute.install();
      const ended = sinon.spy();
      slowRoute.onEnd(ended);
      slow.link.congest(); // it stops reading: what the gateway writes to it stays buffered
      for (let id = 1; id <= 8; id++) {
        service.peer.send(encodeMessage({ type: MessageType.Reply, channel: SERVICE_CHANNEL + 3, id, object: 1, action: 100 }, new Uint8Array(64 << 10)));
      }
      await eventually(() => slow.session.isClosed, 1_000, 'the slow client link to close');
      expect(slow.session.reason).to.be.instanceOf(LimitExceededError);
      expect(ended.calledOnce).to.equal(true);
      expect(ended.firstCall.args[0].type).to.equal('CLIENT.ENDED');
      expect(slow.link.bufferedBytes, 'what it held is dropped').to.equal(0);

      expect(service.session.isOpen, 'the service link').to.equal(true);
      expect(service.link.isPaused).to.equal(false);
      service.peer.send(reply(5));
      await eventually(() => client.received.length === 1, 1_000, 'the other route to go on');
    } finally {
      slow.session.close();
    }
  });

  it('reports the end of either side once, and stops forwarding once removed', async () => {
    const ended = sinon.spy();
    route.onEnd(ended);
    (service.link as FakeLink).drop();
    expect(ended.calledOnce).to.equal(true);
    expect(ended.firstCall.args[0].type).to.equal('SERVICE.GONE');
    expect(ended.firstCall.args[0].error).to.be.instanceOf(ConnectionLostError);

    route.remove();
    expect(route.isInstalled).to.equal(false);
    client.peer.send(call(down, 3));
    await eventually(() => client.received.length === 1, 1_000, 'the answer to a call on a removed route');
    expect(frameChannel(client.received[0]!)).to.equal(down);
    expect(frameType(client.received[0]!), 'answered ServiceGone, not forwarded').to.equal(MessageType.Error);
    expect(service.received.length).to.equal(0);
  });
});

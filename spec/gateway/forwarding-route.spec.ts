/**
 * A gateway's forwarding route in isolation: two sessions on fake links, the test playing the client and the
 * service. Frames cross with their channel rewritten and their bytes otherwise untouched; a congested side pauses
 * the side that feeds it until it drains; either end closing ends the route once.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { ConnectionLostError } from '../../lib/index.js';
import { ForwardingRoute } from '../../lib/gateway/forwarding-route.js';
import { SignalFanout } from '../../lib/gateway/signal-fanout.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
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

  it('pauses the service link while the client link is congested', async () => {
    client.link.congest();
    service.peer.send(encodeMessage({ type: MessageType.Reply, channel: SERVICE_CHANNEL, id: 1, object: 1, action: 100 }, 1));
    await eventually(() => service.link.isPaused, 1_000, 'the service link to be paused');
    client.link.drain();
    expect(service.link.isPaused).to.equal(false);
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

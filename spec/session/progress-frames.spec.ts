/**
 * Per-call progress on the wire (docs/PROTOCOL.md, Progress): a Call asks for Progress frames with the
 * WANTS_PROGRESS flag, only towards a peer whose Capability announced `features.progress`, so a peer of an older
 * version never sees a flag or a type 9 it would refuse. Progress frames reach the pending call they report on,
 * and none after its answer; a gateway route relays them down and strips the flag towards an older service.
 */
import { expect } from 'chai';
import { ForwardingRoute } from '../../lib/gateway/forwarding-route.js';
import { SignalFanout } from '../../lib/gateway/signal-fanout.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { PROTOCOL_VERSION } from '../../lib/protocol/header.js';
import { frameFlags, frameType, MessageType, setFrameFlags, WANTS_PROGRESS } from '../../lib/protocol/header.js';
import { eventually, fakeSession } from '../helpers.js';

/** The Capability of a peer from before progress: no `features.progress`. */
const OLD_CAPABILITY = { protocol: PROTOCOL_VERSION, features: { channels: true } };
const CHANNEL = 5;

const progressFrame = (id: number, value: unknown, channel = CHANNEL): Uint8Array =>
  encodeMessage({ type: MessageType.Progress, channel, id, object: 1, action: 100 }, value);
const replyFrame = (id: number, value: unknown): Uint8Array =>
  encodeMessage({ type: MessageType.Reply, channel: CHANNEL, id, object: 1, action: 100 }, value);

describe('progress frames', () => {
  const endpoint = { onFrame: () => {}, onClosed: () => {} };

  it('flags a call that asks for progress, hands it its reports, and drops those after the reply', async () => {
    const { session, peer, received } = await fakeSession('initiator');
    session.attachChannel(CHANNEL, endpoint);
    const reports: unknown[] = [];
    const { id, result } = session.startCall(CHANNEL, 1, 100, [], (value) => reports.push(value));
    await eventually(() => received.length === 1, 1_000, 'the call');
    expect(frameFlags(received[0]!)).to.equal(WANTS_PROGRESS);
    peer.send(progressFrame(id, 0.5));
    peer.send(progressFrame(id, 0.5, CHANNEL + 1)); // another channel's: not this call's
    peer.send(replyFrame(id, 'done'));
    peer.send(progressFrame(id, 'late'));
    expect(await result).to.equal('done');
    await eventually(() => session.stats.lateProgress === 1, 1_000, 'the late report counted');
    expect(session.stats.strayFrames, 'the report on a channel not bound here').to.equal(1);
    expect(reports).to.deep.equal([0.5]);
    session.close();
  });

  it('does not flag a call that did not ask, and drops reports sent to it anyway', async () => {
    const { session, peer, received } = await fakeSession('initiator');
    session.attachChannel(CHANNEL, endpoint);
    const { id, result } = session.startCall(CHANNEL, 1, 100, []);
    await eventually(() => received.length === 1, 1_000, 'the call');
    expect(frameFlags(received[0]!)).to.equal(0);
    peer.send(progressFrame(id, 1));
    peer.send(replyFrame(id, 'done'));
    expect(await result).to.equal('done');
    expect(session.stats.lateProgress).to.equal(1);
    session.close();
  });

  it('never asks a peer that did not announce progress (it would refuse the flag)', async () => {
    const { session, peer, received } = await fakeSession('initiator', {}, {}, OLD_CAPABILITY);
    expect(session.peerSendsProgress).to.equal(false);
    session.attachChannel(CHANNEL, endpoint);
    const reports: unknown[] = [];
    const { id, result } = session.startCall(CHANNEL, 1, 100, [], (value) => reports.push(value));
    await eventually(() => received.length === 1, 1_000, 'the call');
    expect(frameFlags(received[0]!), 'an old peer sees a plain call').to.equal(0);
    peer.send(replyFrame(id, 'done'));
    expect(await result).to.equal('done');
    expect(reports).to.deep.equal([]);
    session.close();
  });

  describe('through a gateway route', () => {
    async function route(serviceCapability?: object) {
      const client = await fakeSession('acceptor');
      const service = await fakeSession('initiator', {}, {}, serviceCapability);
      const forwarding = new ForwardingRoute(client.session, service.session, 7, new SignalFanout(service.session, 'motion'));
      const down = forwarding.install();
      const close = (): void => {
        client.session.close();
        service.session.close();
      };
      return { client, service, forwarding, down, close };
    }
    const flaggedCall = (channel: number, id: number): Uint8Array => {
      const frame = encodeMessage({ type: MessageType.Call, channel, id, object: 1, action: 100 }, [1, 2]);
      setFrameFlags(frame, WANTS_PROGRESS);
      return frame;
    };

    it('forwards the flag to a service that announced progress, and relays its reports down', async () => {
      const { client, service, forwarding, down, close } = await route();
      client.peer.send(flaggedCall(down, 9));
      await eventually(() => service.received.length === 1, 1_000, 'the forwarded call');
      expect(frameFlags(service.received[0]!)).to.equal(WANTS_PROGRESS);
      service.peer.send(encodeMessage({ type: MessageType.Progress, channel: 7, id: 9, object: 1, action: 100 }, 0.25));
      await eventually(() => client.received.length === 1, 1_000, 'the relayed report');
      expect(frameType(client.received[0]!)).to.equal(MessageType.Progress);
      expect(forwarding.callsInFlight, 'a report answers nothing').to.equal(1);
      close();
    });

    it('clears the flag towards a service that did not announce progress', async () => {
      const { client, service, down, close } = await route(OLD_CAPABILITY);
      client.peer.send(flaggedCall(down, 9));
      await eventually(() => service.received.length === 1, 1_000, 'the forwarded call');
      expect(frameFlags(service.received[0]!)).to.equal(0);
      close();
    });
  });
});

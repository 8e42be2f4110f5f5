/**
 * Heartbeats on a fake clock (only setInterval is faked, so frames still flow on the real event loop): a silent
 * peer is pinged, then its link closes with ConnectionLost once its misses run out; any frame from it counts as
 * alive; a beat that comes late (this process stalled) judges nothing; in-process links have no heartbeat.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { ConnectionLostError, MemoryTransport, TransportRegistry } from '../../lib/index.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { ControlAction } from '../../lib/protocol/control.js';
import { frameAction, frameChannel, frameId, frameType, MessageType } from '../../lib/protocol/header.js';
import { LinkHost } from '../../lib/session/link-host.js';
import { openLink } from '../../lib/session/open-link.js';
import { Session } from '../../lib/session/session.js';
import { fakeSession } from '../helpers.js';

const pings = (frames: Uint8Array[]): Uint8Array[] =>
  frames.filter((f) => frameType(f) === MessageType.Call && frameChannel(f) === 0 && frameAction(f) === ControlAction.ping);
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('heartbeats', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => clock.restore());

  it('ping a silent peer each interval and close its link with ConnectionLost after maxMissed misses', async () => {
    const { session, received } = await fakeSession('initiator', { heartbeat: { intervalMs: 1_000, maxMissed: 2 } });
    const reasons: unknown[] = [];
    session.onClosed((reason) => reasons.push(reason));
    clock.tick(1_000);
    await settle();
    expect(pings(received)).to.have.length(1);
    clock.tick(1_000);
    await settle();
    expect(pings(received)).to.have.length(2);
    expect(session.isOpen, 'two unanswered pings are tolerated').to.equal(true);
    clock.tick(1_000);
    await settle();
    expect(session.isClosed).to.equal(true);
    expect(reasons[0]).to.be.instanceOf(ConnectionLostError);
    expect((reasons[0] as Error).message).to.contain('heartbeat');
    expect(session.calls.size, 'the pings pending were failed too').to.equal(0);
  });

  it('judge nothing at a beat that comes late (this process stalled); a process late at every beat still drops a silent peer', async () => {
    clock.restore();
    // A stall is a jump of the clock: Node runs an interval that was due once, late, as `jump` does.
    clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const { session, peer, received } = await fakeSession('initiator', { heartbeat: { intervalMs: 1_000, maxMissed: 1 } });
    clock.tick(1_000);
    await settle();
    expect(pings(received), 'a silent interval: pinged').to.have.length(1);
    // Stalled for 2.5 s right after the ping: the first beat after it runs before the event loop reads the answer.
    clock.jump(2_500);
    await settle();
    expect(session.isOpen, 'the late beat did not take the stall for the peer\'s silence').to.equal(true);
    peer.send(encodeMessage({ type: MessageType.Event, channel: 77, id: 0, object: 1, action: 100 }, [1]));
    await settle();
    clock.tick(1_000);
    await settle();
    expect(session.isOpen, 'the peer had answered').to.equal(true);
    // A process that is late at every beat still drops a peer that is silent: only one beat in a row is passed
    // over, so every other beat judges (here: passed over, ping, passed over, close).
    for (let beat = 1; beat <= 3; beat++) {
      clock.jump(2_500);
      await settle();
    }
    expect(session.isOpen).to.equal(true);
    expect(pings(received), 'the judged late beat pinged').to.have.length(2);
    clock.jump(2_500);
    await settle();
    expect(session.isClosed, 'silent through two judged beats').to.equal(true);
  });

  it('count any frame from the peer as alive, answered pings or not', async () => {
    const { session, peer, received } = await fakeSession('acceptor', { heartbeat: { intervalMs: 1_000, maxMissed: 1 } });
    for (let i = 0; i < 10; i++) {
      // A busy peer: it streams (here, stray events) and never answers our pings.
      peer.send(encodeMessage({ type: MessageType.Event, channel: 77, id: 0, object: 1, action: 100 }, [i]));
      await settle();
      clock.tick(1_000);
      await settle();
    }
    expect(session.isOpen).to.equal(true);
    expect(pings(received), 'no ping while the peer talks').to.have.length(0);
    session.close();
  });

  it('keep a link whose peer answers the pings', async () => {
    const { session, peer, received } = await fakeSession('initiator', { heartbeat: { intervalMs: 500, maxMissed: 0 } });
    for (let i = 0; i < 6; i++) {
      clock.tick(500);
      await settle();
      const ping = pings(received).at(-1);
      if (ping) peer.send(encodeMessage({ type: MessageType.Reply, channel: 0, id: frameId(ping), object: 0, action: ControlAction.ping }, undefined));
      received.length = 0;
      await settle();
    }
    expect(session.isOpen).to.equal(true);
    session.close();
  });

  it('do not count against the peer the silence of a link this side paused (backpressure)', async () => {
    const { session } = await fakeSession('acceptor', { heartbeat: { intervalMs: 1_000, maxMissed: 1 } });
    session.pause();
    for (let i = 0; i < 5; i++) {
      clock.tick(1_000);
      await settle();
    }
    expect(session.isOpen, 'a throttled peer is not a dead one').to.equal(true);
    session.resume();
    clock.tick(3_000);
    await settle();
    expect(session.isClosed, 'once reading again, a silent peer is dropped as usual').to.equal(true);
  });

  it('are off on in-process links', async () => {
    const transports = new TransportRegistry([new MemoryTransport()]);
    const host = new LinkHost(transports, () => Promise.reject(new Error('no binds')), { heartbeat: { intervalMs: 100, maxMissed: 0 } });
    await host.listen(['memory://heartbeat-off']);
    const session = new Session('initiator', { heartbeat: { intervalMs: 100, maxMissed: 0 } });
    await openLink(session, transports, 'memory://heartbeat-off');
    clock.tick(10_000);
    await settle();
    expect(session.isOpen).to.equal(true);
    expect(session.stats.framesOut, 'the Capability only: no ping').to.equal(1);
    session.close();
    await host.close();
  });
});

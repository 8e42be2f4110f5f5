/**
 * A Session outlives its link: detached, its pending calls fail with ConnectionLost and its channels wait,
 * suspended; attached to a new link and rebound, the same channel objects carry calls and signals again.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { ClosedError, ConnectionLostError, createService, signal, TransportRegistry, type Service } from '../../lib/index.js';
import { ClientChannel } from '../../lib/client/client-channel.js';
import { openLink } from '../../lib/session/open-link.js';
import { Session, type ChannelEndpoint } from '../../lib/session/session.js';
import { FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { eventually, rejection } from '../helpers.js';

describe('a session detached from its link', () => {
  let fake: FakeTransport;
  let transports: TransportRegistry;
  let service: Service;
  const ticked = signal<[n: number]>();
  let answerSlow: ((value: string) => void) | undefined;
  let adds = 0;

  beforeEach(async () => {
    fake = new FakeTransport();
    transports = new TransportRegistry([fake]);
    adds = 0;
    const calc = {
      add: (a: number, b: number) => (adds++, a + b),
      slow: () => new Promise<string>((resolve) => (answerSlow = resolve)),
      ticked,
    };
    service = await createService('calc', calc, { transports, listen: ['fake://calc'] });
  });
  afterEach(() => service.close());

  /** The client's end of the newest link. */
  const clientEnd = (): FakeLink => fake.links.at(-2)!;

  it('fails pending calls with ConnectionLost, suspends its channels, and carries them again once rebound', async () => {
    const session = new Session('initiator', { outlivesLink: true });
    await openLink(session, transports, 'fake://calc');
    const channel = new ClientChannel(session, 'calc');
    await channel.bind();
    const heard: number[] = [];
    await channel.subscribe('ticked', (n) => heard.push(n as number));
    expect(await channel.call('add', [1, 2])).to.equal(3);
    const pending = channel.call('slow', []);
    const detached = sinon.spy();
    session.onDetached(detached);

    clientEnd().drop();

    await rejection(pending, ConnectionLostError);
    expect(session.state).to.equal('detached');
    expect(detached.calledOnce).to.equal(true);
    expect(channel.ended, 'suspended, not ended').to.equal(false);
    // A call made while suspended waits for the next link, and goes out once.
    const waited = channel.call('add', [1, 2]);
    // The service saw its link go: its binding, and the call it was answering, are gone there.
    await eventually(() => service.actor.getSnapshot().context.host.links.sessions.size === 0, 1_000, 'the service to drop the old link');
    answerSlow?.('too late');

    await openLink(session, transports, 'fake://calc');
    expect(session.isOpen).to.equal(true);
    // The channel binds again by itself once the session has a link; rebind() waits for that.
    await channel.rebind();
    expect(channel.channel).to.be.above(0);
    expect(await waited).to.equal(3);
    expect(await channel.call('add', [2, 3])).to.equal(5);
    expect(adds, 'before, the waiting call, after: nothing sent twice').to.equal(3);
    ticked.emit(7);
    await eventually(() => heard.length > 0, 1_000, 'the signal after the rebind');
    expect(heard).to.deep.equal([7]);
    expect(service.stats.eventFrames, 'one subscription at the service, on the new binding only').to.equal(1);

    session.close();
    expect(channel.ended).to.equal(true);
    await rejection(channel.call('add', [1, 2]), ClosedError);
  });

  it('closes the endpoints that cannot outlive a link, and ends the suspended ones when it closes', async () => {
    const session = new Session('initiator', { outlivesLink: true });
    await openLink(session, transports, 'fake://calc');
    const relay: ChannelEndpoint = { relays: true, onFrame: sinon.spy(), onClosed: sinon.spy() };
    session.attachChannel(41, relay);
    const channel = new ClientChannel(session, 'calc');
    await channel.bind();
    const owner = { suspended: sinon.spy(), rebound: sinon.spy(), ended: sinon.spy() };
    channel.setOwner(owner);

    session.detach(new ConnectionLostError('the Wi-Fi went'));

    expect((relay.onClosed as sinon.SinonSpy).calledOnce, 'a relay is closed at once').to.equal(true);
    expect((relay.onClosed as sinon.SinonSpy).firstCall.args[0]).to.be.instanceOf(ConnectionLostError);
    expect(owner.suspended.calledOnce).to.equal(true);
    expect(owner.ended.called, 'a suspended channel has not ended').to.equal(false);
    expect(session.channelCount).to.equal(0);

    session.close(new ConnectionLostError('gave up'));
    expect(owner.ended.calledOnce).to.equal(true);
    expect(owner.ended.firstCall.args[0]).to.be.instanceOf(ConnectionLostError);
  });

  it('closes with its link unless it was made to outlive it', async () => {
    const session = new Session('initiator');
    await openLink(session, transports, 'fake://calc');
    const channel = new ClientChannel(session, 'calc');
    await channel.bind();
    clientEnd().drop();
    expect(session.isClosed).to.equal(true);
    expect(channel.ended).to.equal(true);
    await rejection(channel.call('add', [1, 2]), ConnectionLostError);
  });
});

/**
 * Where an answer goes: the session settles a Reply or Error only for a call sent on the same link and the same
 * channel; endpoints never see answers to this side's calls; a relaying endpoint (a gateway route) sees every
 * frame of its channel, and an answer it relays never settles one of this side's calls.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { TransportRegistry } from '../../lib/index.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { CONTROL_CHANNEL, localCapability } from '../../lib/protocol/control.js';
import { MessageType } from '../../lib/protocol/header.js';
import { openLink } from '../../lib/session/open-link.js';
import { Session, type ChannelEndpoint } from '../../lib/session/session.js';
import { FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { eventually } from '../helpers.js';

const answer = (type: MessageType, channel: number, id: number, body: unknown): Uint8Array =>
  encodeMessage({ type, channel, id, object: 1, action: 100 }, body);

const endpoint = (relays = false): ChannelEndpoint & { onFrame: sinon.SinonSpy } => ({ relays, onFrame: sinon.spy(), onClosed: sinon.spy() });

describe('answers on a session', () => {
  let session: Session;
  let peer: FakeLink;

  beforeEach(async () => {
    const fake = new FakeTransport();
    await fake.listen(new URL('fake://peer'), () => {});
    const accepted = fake.nextLink();
    session = new Session('initiator');
    const opening = openLink(session, new TransportRegistry([fake]), 'fake://peer');
    peer = await accepted;
    await eventually(() => peer.peer!.sent.length > 0, 1_000, 'the capability');
    peer.send(encodeMessage({ type: MessageType.Capability, channel: CONTROL_CHANNEL, id: 0, object: 0, action: 0 }, localCapability()));
    await opening;
  });
  afterEach(() => session.close());

  it('settles a call only from an answer on the channel it was sent on', async () => {
    const three = endpoint();
    const four = endpoint();
    session.attachChannel(3, three);
    session.attachChannel(4, four);
    const { id, result } = session.startCall(3, 1, 100, []);
    let settled = false;
    void result.then(() => (settled = true));

    peer.send(answer(MessageType.Reply, 4, id, 'for channel four'));
    peer.send(answer(MessageType.Reply, 9, id, 'for a channel that is gone'));
    await eventually(() => session.stats.unknownReplies === 2, 1_000, 'both strays to be counted');
    expect(settled).to.equal(false);
    expect(four.onFrame.called, 'an endpoint never sees answers').to.equal(false);

    peer.send(answer(MessageType.Reply, 3, id, 'the answer'));
    expect(await result).to.equal('the answer');
    expect(three.onFrame.called).to.equal(false);
  });

  it('hands a relaying endpoint every frame, answers included, without touching this side\'s calls', async () => {
    const route = endpoint(true);
    session.attachChannel(3, endpoint());
    session.attachChannel(5, route);
    const { id, result } = session.startCall(3, 1, 100, []);
    peer.send(answer(MessageType.Reply, 5, id, 'relayed'));
    await eventually(() => route.onFrame.calledOnce, 1_000, 'the relayed reply');
    expect(session.calls.size, 'the call on channel 3 is still pending').to.equal(1);
    peer.send(answer(MessageType.Error, 3, id, { code: 'RemoteError', message: 'no' }));
    await result.then(
      () => expect.fail('the Error must reject'),
      (err: Error) => expect(err.message).to.equal('no'),
    );
  });
});

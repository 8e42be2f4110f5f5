/**
 * A Reply flagged OBJECT_RESULT on the client side (docs/PROTOCOL.md §5, Objects), the far side played frame by
 * frame through the fake transport: the call resolves with a ServiceClient attached to the channel the reply names,
 * without a bind; it ends with ServiceGone with the binding that returned it or with the link; a malformed or
 * hijacking reply is a ProtocolError for that call only. And a native gateway never lets a service's flag through.
 */
import { expect } from 'chai';
import { connect, ProtocolError, ServiceGoneError, TimeoutError, type Connection, type ServiceProxy } from '../../lib/index.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { ControlAction, MAIN_OBJECT, ObjectAction, type MetaObject } from '../../lib/protocol/control.js';
import { frameFlags, MessageType, OBJECT_RESULT, setFrameFlags, type FrameHeader } from '../../lib/protocol/header.js';
import { ForwardingRoute } from '../../lib/gateway/forwarding-route.js';
import { SignalFanout } from '../../lib/gateway/signal-fanout.js';
import { decodeFrames, type FakeLink } from '../../lib/testing/index.js';
import { capabilityFrame, eventually, fakeSession, rejection, withFakeTransport } from '../helpers.js';

const ZOO: MetaObject = { name: 'Zoo', methods: [{ id: 100, name: 'makeGreeter', arity: 1 }], signals: [], properties: [] };
const GREETER: MetaObject = {
  name: 'Zoo.makeGreeter()',
  methods: [{ id: 100, name: 'greet', arity: 1 }],
  signals: [{ id: 101, name: 'greeted' }],
  properties: [],
};

const reply = (header: Omit<FrameHeader, 'type'>, body: unknown, flags = 0): Uint8Array => {
  const frame = encodeMessage({ ...header, type: MessageType.Reply }, body);
  setFrameFlags(frame, flags);
  return frame;
};

describe('object results (OBJECT_RESULT) on the client side', () => {
  const harness = withFakeTransport();
  let link: FakeLink;
  let connection: Connection;
  let clientCapability: unknown;
  /** Every frame the client sent, decoded. */
  const sent = (): ReturnType<typeof decodeFrames> => decodeFrames(link.peer!.sent);
  /** The next Call the client sends that matches, once it has. */
  async function nextCall(match: (header: FrameHeader, body: unknown) => boolean): Promise<{ header: FrameHeader; body: unknown }> {
    let found: { header: FrameHeader; body: unknown } | undefined;
    await eventually(() => (found = sent().find((f) => f.header.type === MessageType.Call && match(f.header, f.body))) !== undefined, 1_000, 'the call');
    link.peer!.sent.length = 0;
    return found!;
  }

  /** Connects to a fake gateway and binds Zoo on channel 1. */
  async function bindZoo(options: { whenServiceGone?: 'wait' } = {}): Promise<ServiceProxy> {
    await harness.fake.listen(new URL('fake://gw'), () => {});
    const accepted = harness.fake.nextLink();
    const connecting = connect('fake://gw', { transports: harness.transports, reconnect: false });
    link = await accepted;
    await eventually(() => link.peer!.sent.length > 0, 1_000, 'the client capability');
    clientCapability = decodeFrames([link.peer!.sent[0]!])[0]!.body;
    link.send(capabilityFrame());
    connection = await connecting;
    harness.opened.push(connection);
    const binding = connection.service('Zoo', options);
    const bind = await nextCall((h) => h.channel === 0 && h.action === ControlAction.bind);
    link.send(reply({ id: bind.header.id, channel: 0, object: 0, action: ControlAction.bind }, { channel: 1, metaObject: ZOO }));
    return binding;
  }

  /** zoo.makeGreeter(prefix), answered with an object on `channel`. */
  async function makeGreeter(zoo: ServiceProxy, channel: number, body: unknown = { channel, metaObject: GREETER }): Promise<unknown> {
    const result = zoo.call('makeGreeter', 'hi ');
    const call = await nextCall((h) => h.channel === 1 && h.action === 100);
    link.send(reply({ id: call.header.id, channel: 1, object: MAIN_OBJECT, action: 100 }, body, OBJECT_RESULT));
    return result;
  }

  it('announces features.objects in its Capability', async () => {
    await bindZoo();
    expect(clientCapability).to.deep.include({ features: { channels: true, progress: true, objects: true } });
  });

  it('resolves the call with a client on the named channel: calls, events and close go there, with no bind', async () => {
    const zoo = await bindZoo();
    const greeter = (await makeGreeter(zoo, 7)) as ServiceProxy;
    expect(greeter.name).to.equal('Zoo.makeGreeter()');
    expect(sent().some((f) => f.header.action === ControlAction.bind && f.header.channel === 0)).to.equal(false);
    const greeting = greeter.call('greet', 'nao');
    const call = await nextCall((h) => h.channel === 7 && h.action === 100);
    expect(call.body).to.deep.equal(['nao']);
    link.send(reply({ id: call.header.id, channel: 7, object: MAIN_OBJECT, action: 100 }, 'hi nao'));
    expect(await greeting).to.equal('hi nao');
    const heard: unknown[] = [];
    const subscribing = greeter.on('greeted', (who) => heard.push(who));
    const register = await nextCall((h) => h.channel === 7 && h.action === ObjectAction.registerEvent);
    link.send(reply({ id: register.header.id, channel: 7, object: MAIN_OBJECT, action: ObjectAction.registerEvent }, undefined));
    await subscribing;
    link.send(encodeMessage({ id: 0, type: MessageType.Event, channel: 7, object: MAIN_OBJECT, action: 101 }, ['pepper']));
    await eventually(() => heard.length === 1, 1_000, 'the event');
    expect(heard).to.deep.equal(['pepper']);
    const closing = greeter.close();
    const unbind = await nextCall((h) => h.channel === 0 && h.action === ControlAction.unbind);
    expect(unbind.body).to.deep.equal({ channel: 7 });
    link.send(reply({ id: unbind.header.id, channel: 0, object: 0, action: ControlAction.unbind }, undefined));
    await closing;
    expect(await greeter.closed).to.equal(undefined);
    await rejection(greeter.call('greet', 'x'), Error);
  });

  it('ends the object with ServiceGone when the binding that returned it ends (channelClosed of the parent)', async () => {
    const zoo = await bindZoo();
    const greeter = (await makeGreeter(zoo, 8)) as ServiceProxy;
    link.send(encodeMessage({ id: 0, type: MessageType.Post, channel: 0, object: 0, action: ControlAction.channelClosed }, { channel: 1, error: { code: 'ServiceGone', message: 'Zoo left' } }));
    expect(await zoo.closed).to.be.instanceOf(ServiceGoneError);
    expect(await greeter.closed).to.be.instanceOf(ServiceGoneError);
    await rejection(greeter.call('greet', 'x'), ServiceGoneError);
  });

  it('ends the object at once when the binding that returned it ends, also for a client that waits for its service to come back', async () => {
    const zoo = await bindZoo({ whenServiceGone: 'wait' });
    const greeter = (await makeGreeter(zoo, 8)) as ServiceProxy;
    link.send(encodeMessage({ id: 0, type: MessageType.Post, channel: 0, object: 0, action: ControlAction.channelClosed }, { channel: 1, error: { code: 'ServiceGone', message: 'Zoo left' } }));
    // Zoo stays suspended, waiting; its object cannot come back with it.
    expect(await greeter.closed).to.be.instanceOf(ServiceGoneError);
    await rejection(greeter.call('greet', 'x'), ServiceGoneError);
  });

  it('ends the object with ServiceGone when the link is lost (it is never bound again)', async () => {
    const zoo = await bindZoo();
    const greeter = (await makeGreeter(zoo, 9)) as ServiceProxy;
    link.drop();
    expect(await greeter.closed).to.be.instanceOf(ServiceGoneError);
    void zoo;
  });

  it('fails the call with ProtocolError for a malformed body or a channel bound already; the parent stays bound', async () => {
    const zoo = await bindZoo();
    await rejection(makeGreeter(zoo, 0, { channel: 'x' }) as Promise<unknown>, ProtocolError);
    const hijack = await rejection(makeGreeter(zoo, 1) as Promise<unknown>, ProtocolError);
    expect(hijack.message).to.contain('bound already');
    // Channel 1 still routes to Zoo: its next answer settles its call.
    const greeter = (await makeGreeter(zoo, 10)) as ServiceProxy;
    expect(greeter.name).to.equal('Zoo.makeGreeter()');
  });

  it('releases the channel of an object result it refuses (a malformed meta-object, an answer to a call that cannot take one)', async () => {
    const zoo = await bindZoo();
    link.peer!.sent.length = 0;
    await rejection(makeGreeter(zoo, 12, { channel: 12, metaObject: { name: 'x'.repeat(300), methods: [], signals: [], properties: [] } }) as Promise<unknown>, ProtocolError);
    const unbind = await nextCall((h) => h.channel === 0 && h.action === ControlAction.unbind);
    expect(unbind.body).to.deep.equal({ channel: 12 });
    // A registerEvent cannot take an object: ProtocolError, and the channel it names is released too.
    const greeter = (await makeGreeter(zoo, 13)) as ServiceProxy;
    const subscribing = greeter.on('greeted', () => undefined);
    const register = await nextCall((h) => h.channel === 13 && h.action === ObjectAction.registerEvent);
    link.send(reply({ id: register.header.id, channel: 13, object: MAIN_OBJECT, action: ObjectAction.registerEvent }, { channel: 14, metaObject: GREETER }, OBJECT_RESULT));
    await rejection(subscribing, ProtocolError);
    const again = await nextCall((h) => h.channel === 0 && h.action === ControlAction.unbind);
    expect(again.body).to.deep.equal({ channel: 14 });
  });

  it('releases an object that answers a call given up meanwhile (its timeout), with an unbind of its channel', async () => {
    const zoo = await bindZoo();
    const late = zoo.with({ timeout: 20 }).call('makeGreeter', 'late');
    const call = await nextCall((h) => h.channel === 1 && h.action === 100);
    await rejection(late, TimeoutError);
    link.peer!.sent.length = 0;
    link.send(reply({ id: call.header.id, channel: 1, object: MAIN_OBJECT, action: 100 }, { channel: 11, metaObject: GREETER }, OBJECT_RESULT));
    const unbind = await nextCall((h) => h.channel === 0 && h.action === ControlAction.unbind);
    expect(unbind.body).to.deep.equal({ channel: 11 });
  });

  it('a native gateway clears the flag on a service`s Reply: a service cannot name a channel of the client`s link', async () => {
    const client = await fakeSession('acceptor');
    const service = await fakeSession('initiator');
    const route = new ForwardingRoute(client.session, service.session, 5, new SignalFanout(service.session, 'calc'));
    const down = route.install();
    client.peer.send(encodeMessage({ id: 3, type: MessageType.Call, channel: down, object: MAIN_OBJECT, action: 100 }, []));
    await eventually(() => service.received.length === 1, 1_000, 'the call forwarded');
    service.peer.send(reply({ id: 3, channel: 5, object: MAIN_OBJECT, action: 100 }, { channel: 1, metaObject: GREETER }, OBJECT_RESULT));
    await eventually(() => client.received.length === 1, 1_000, 'the reply forwarded');
    expect(frameFlags(client.received[0]!)).to.equal(0);
    client.session.close();
    service.session.close();
  });
});

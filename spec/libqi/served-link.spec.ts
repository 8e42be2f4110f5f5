/**
 * The libqi server side of one link, without a peer: frames in, frames out, on a fake link. The handshake,
 * Call → Reply / Error, Post, Cancel → Canceled, registerEvent / Event / unregisterEvent, the property
 * built-ins, and an object returned as `o` (its own object id, terminate).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/served-link.spec.ts
 */
import { expect } from 'chai';
import { ClosedError, type QiError } from '../../lib/protocol/errors.js';
import { MessageType } from '../../lib/protocol/header.js';
import {
  buildLibqiMessage,
  decodeValue,
  encodeToBytes,
  libqiPayload,
  LibqiObjectRef,
  readLibqiHeader,
  typed,
  type LibqiHeader,
  type QiType,
} from '../../lib/protocol/libqi/index.js';
import { libqiTokenAuthenticator, withSignature, type LibqiAuthenticator } from '../../lib/libqi/index.js';
import { buildLibqiObjectTable } from '../../lib/libqi/libqi-object-table.js';
import { LibqiServedLink } from '../../lib/libqi/libqi-served-link.js';
import { LibqiServedObject } from '../../lib/libqi/libqi-served-object.js';
import type { Link } from '../../lib/transports/transport.js';
import { property, signal } from '../../lib/service/members.js';
import { withContext } from '../../lib/service/meta-object.js';
import { eventually } from '../helpers.js';

class FakeLink implements Link {
  readonly remote = 'fake://client';
  closed = false;
  readonly congested = false;
  readonly bufferedBytes = 0;
  readonly sent: Uint8Array[] = [];
  private frameHandler: (frame: Uint8Array) => void = () => {};
  private closeHandler: (reason: QiError) => void = () => {};
  send(frame: Uint8Array): boolean {
    this.sent.push(frame);
    return true;
  }
  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandler = handler;
  }
  onClose(handler: (reason: QiError) => void): void {
    this.closeHandler = handler;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeHandler(new ClosedError('closed'));
  }
  onDrain(handler: () => void): void {
    handler();
  }
  pause(): void {}
  resume(): void {}
  deliver(frame: Uint8Array): void {
    this.frameHandler(frame);
  }
}

const SERVICE = 7;
let nextId = 1;

function setup(authenticate?: LibqiAuthenticator) {
  let aborted: unknown;
  const impl = {
    add: withSignature('(ii)->i', (a: number, b: number) => a + b),
    shout: (text: unknown) => String(text).toUpperCase(),
    fail: withSignature('()->v', (): void => {
      throw new Error('it failed');
    }),
    wait: withSignature(
      '(i)->i',
      withContext(({ signal: s }, ms: number) => new Promise<number>((resolve) => s.addEventListener('abort', () => ((aborted = s.reason), resolve(ms))))),
    ),
    note: withSignature('(s)->v', (text: string) => impl.noted.emit(text)),
    child: withSignature('(s)->o', (prefix: string) => ({ hello: withSignature('(s)->s', (name: string) => prefix + name) })),
    noted: withSignature('(s)', signal<[string]>()),
    level: withSignature('i', property(1)),
    model: withSignature('s', property('nao', { readOnly: true })),
  };
  const main = new LibqiServedObject(buildLibqiObjectTable(impl), 1);
  let objects = 1;
  const link = new FakeLink();
  new LibqiServedLink(link, { serviceId: SERVICE, mainObject: main, nextObjectId: () => ++objects, authenticate });
  const call = (action: number, params: string | QiType, args: unknown, object = 1, type: MessageType = MessageType.Call): number => {
    const id = nextId++;
    link.deliver(buildLibqiMessage({ id, type, flags: 0, service: SERVICE, object, action }, encodeToBytes(params, args)));
    return id;
  };
  const answer = async (id: number): Promise<{ header: LibqiHeader; payload: Uint8Array }> => {
    await eventually(() => link.sent.some((f) => readLibqiHeader(f).id === id && readLibqiHeader(f).type !== MessageType.Event), 2_000, `the answer to ${id}`);
    const frame = link.sent.find((f) => readLibqiHeader(f).id === id && readLibqiHeader(f).type !== MessageType.Event)!;
    return { header: readLibqiHeader(frame), payload: libqiPayload(frame) };
  };
  const events = (): Array<{ header: LibqiHeader; payload: Uint8Array }> =>
    link.sent.filter((f) => readLibqiHeader(f).type === MessageType.Event).map((f) => ({ header: readLibqiHeader(f), payload: libqiPayload(f) }));
  return { impl, link, call, answer, events, aborted: () => aborted };
}

describe('libqi served link: one client link to a served object', () => {
  it('answers the capability handshake with its capabilities and __qi_auth_state 3', async () => {
    const { link, answer } = setup();
    const id = nextId++;
    const request = new Map<string, unknown>([['ObjectPtrUID', true], ['RemoteCancelableCalls', true]]);
    link.deliver(buildLibqiMessage({ id, type: MessageType.Call, flags: 0, service: 0, object: 0, action: 8 }, encodeToBytes('{sm}', request)));
    const { header, payload } = await answer(id);
    expect(header).to.deep.include({ type: MessageType.Reply, service: 0, object: 0, action: 8 });
    const reply = decodeValue('{sm}', payload) as Map<string, unknown>;
    expect(reply.get('__qi_auth_state')).to.equal(3);
    expect(reply.get('RemoteCancelableCalls')).to.equal(true);
    expect(reply.get('MetaObjectCache')).to.equal(false);
  });

  it('answers a Call with a Reply of the return signature, a dynamic method with an inferred m, a throw with an Error of a dynamic string', async () => {
    const { call, answer } = setup();
    const add = await answer(call(100, '(ii)', [40, 2]));
    expect(add.header).to.deep.include({ type: MessageType.Reply, service: SERVICE, object: 1, action: 100 });
    expect(decodeValue('i', add.payload)).to.equal(42);
    const shout = await answer(call(101, '(m)', ['hi']));
    expect(decodeValue('m', shout.payload, { typedDynamics: true })).to.deep.equal(typed('s', 'HI'));
    const fail = await answer(call(102, '()', []));
    expect(fail.header.type).to.equal(MessageType.Error);
    expect(decodeValue('m', fail.payload, { typedDynamics: true })).to.deep.equal(typed('s', 'it failed'));
    const unknown = await answer(call(140, '()', []));
    expect(unknown.header.type).to.equal(MessageType.Error);
    expect(decodeValue('m', unknown.payload)).to.match(/no method 140/);
  });

  it('runs a Post without answering it, and sends its Event to a registered link until unregisterEvent (by the client link id)', async () => {
    const { call, answer, events, link } = setup();
    const registered = await answer(call(0, '(IIL)', [SERVICE, 106, 555n]));
    const ourLink = decodeValue('L', registered.payload);
    expect(typeof ourLink).to.equal('bigint');
    const posted = call(104, '(s)', ['one'], 1, MessageType.Post);
    await eventually(() => events().length === 1, 2_000, 'the event');
    expect(events()[0]!.header).to.deep.include({ service: SERVICE, object: 1, action: 106 });
    expect(decodeValue('(s)', events()[0]!.payload)).to.deep.equal(['one']);
    expect(link.sent.some((f) => readLibqiHeader(f).id === posted && readLibqiHeader(f).type === MessageType.Reply)).to.equal(false);
    await answer(call(1, '(IIL)', [SERVICE, 106, 555n]));
    await answer(call(104, '(s)', ['two']));
    expect(events()).to.have.length(1);
  });

  it('answers a Cancel with Canceled (the call id and action, empty), aborting the call and dropping its late Reply', async () => {
    const { call, link, aborted } = setup();
    const waiting = call(103, '(i)', [5]);
    link.deliver(buildLibqiMessage({ id: nextId++, type: MessageType.Cancel, flags: 0, service: SERVICE, object: 1, action: 0 }, encodeToBytes('I', waiting)));
    const answers = (): LibqiHeader[] => link.sent.map((f) => readLibqiHeader(f)).filter((h) => h.id === waiting);
    await eventually(() => answers().length === 1, 2_000, 'Canceled');
    expect(answers()[0]).to.deep.include({ type: MessageType.Canceled, action: 103, service: SERVICE, object: 1 });
    expect(link.sent.find((f) => readLibqiHeader(f).id === waiting)!.length).to.equal(28);
    expect(aborted()).to.be.instanceOf(Error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answers()).to.have.length(1);
  });

  it('gets and sets properties by uid as dynamics, fires the change event, refuses read-only and ill-typed values', async () => {
    const { call, answer, events, impl } = setup();
    await answer(call(0, '(IIL)', [SERVICE, 107, 1n]));
    expect((await answer(call(6, '(mm)', [typed('I', 107), 9]))).header.type).to.equal(MessageType.Reply);
    expect(impl.level.get()).to.equal(9);
    expect(decodeValue('(i)', events()[0]!.payload)).to.deep.equal([9]);
    expect(decodeValue('m', (await answer(call(5, '(m)', [typed('I', 107)]))).payload, { typedDynamics: true })).to.deep.equal(typed('i', 9));
    expect(decodeValue('m', (await answer(call(5, '(m)', ['model']))).payload)).to.equal('nao');
    expect((await answer(call(6, '(mm)', [typed('I', 108), 'pepper']))).header.type).to.equal(MessageType.Error);
    expect((await answer(call(6, '(mm)', [typed('I', 107), 'nine']))).header.type).to.equal(MessageType.Error);
    expect(impl.level.get()).to.equal(9);
    expect(decodeValue('[s]', (await answer(call(7, '()', []))).payload)).to.deep.equal(['level', 'model']);
  });

  it("serves an object a method returns as 'o' under its own object id, until the client terminates it", async () => {
    const { call, answer } = setup();
    const returned = await answer(call(105, '(s)', ['Hello, ']));
    const ref = decodeValue('o', returned.payload) as LibqiObjectRef;
    expect(ref).to.be.instanceOf(LibqiObjectRef);
    expect(ref.serviceId).to.equal(SERVICE);
    expect(ref.objectId).to.equal(2);
    expect(ref.ptrUid).to.have.length(20);
    expect([...ref.metaObject.methods.values()].find((m) => m.uid === 100)).to.deep.include({ name: 'hello', parametersSignature: '(s)', returnSignature: 's' });
    expect(decodeValue('s', (await answer(call(100, '(s)', ['zoo'], 2))).payload)).to.equal('Hello, zoo');
    call(3, '(I)', [SERVICE], 2, MessageType.Post);
    const after = await answer(call(100, '(s)', ['zoo'], 2));
    expect(after.header.type).to.equal(MessageType.Error);
  });

  describe('with an authenticator', () => {
    const authenticate = (link: FakeLink, fields: Map<string, unknown>): number => {
      const id = nextId++;
      link.deliver(buildLibqiMessage({ id, type: MessageType.Call, flags: 0, service: 0, object: 0, action: 8 }, encodeToBytes('{sm}', fields)));
      return id;
    };

    it('refuses a wrong token with an Error "Authentication failed: <reason>" (a dynamic string), then closes the link', async () => {
      const { link, answer } = setup(libqiTokenAuthenticator({ alice: 's3cret' }));
      const id = authenticate(link, new Map<string, unknown>([['ObjectPtrUID', true], ['auth_user', 'alice'], ['auth_token', 'nope']]));
      const { header, payload } = await answer(id);
      expect(header).to.deep.include({ type: MessageType.Error, service: 0, object: 0, action: 8 });
      expect(decodeValue('m', payload, { typedDynamics: true })).to.deep.equal(typed('s', 'Authentication failed: bad token'));
      expect(link.closed).to.equal(true);
    });

    it('closes a link that calls before authenticating, and serves one that authenticated', async () => {
      const early = setup(libqiTokenAuthenticator({ alice: 's3cret' }));
      early.call(100, '(ii)', [1, 2]);
      expect(early.link.closed).to.equal(true);
      expect(early.link.sent).to.have.length(0);
      const { link, call, answer } = setup(libqiTokenAuthenticator({ alice: 's3cret' }));
      const reply = decodeValue('{sm}', (await answer(authenticate(link, new Map([['auth_user', 'alice'], ['auth_token', 's3cret']])))).payload) as Map<string, unknown>;
      expect(reply.get('__qi_auth_state')).to.equal(3);
      expect(decodeValue('i', (await answer(call(100, '(ii)', [1, 2]))).payload)).to.equal(3);
    });

    it('sends a continue step as state 2 with its fields, and the last answer as state 3 alone (libqi: auth #33, #35)', async () => {
      let step = 0;
      const challenge: LibqiAuthenticator = () => (fields) =>
        step++ === 0 ? { state: 'continue', fields: { challenge: 'abc' } } : fields['response'] === 'ok' ? { state: 'done' } : { state: 'refused', reason: 'bad response' };
      const { link, answer } = setup(challenge);
      const first = decodeValue('{sm}', (await answer(authenticate(link, new Map<string, unknown>([['RemoteCancelableCalls', true], ['auth_user', 'alice']])))).payload) as Map<string, unknown>;
      expect(first.get('__qi_auth_state')).to.equal(2);
      expect(first.get('auth_challenge')).to.equal('abc');
      expect(first.get('RemoteCancelableCalls')).to.equal(true);
      const last = decodeValue('{sm}', (await answer(authenticate(link, new Map([['auth_user', 'alice'], ['auth_response', 'ok']])))).payload) as Map<string, unknown>;
      expect([...last.keys()]).to.deep.equal(['__qi_auth_state']);
      expect(last.get('__qi_auth_state')).to.equal(3);
    });
  });
});

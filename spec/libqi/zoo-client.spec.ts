/**
 * qimessaging's libqi client against the real libqi: the kit's `qi_sd` and `qi_zoo_service`, checked as the
 * kit's own `qi_zoo_client` checks them (every member, edge values bit for bit, overloads, optionals, structs,
 * objects, signals, properties, posts, cancellation, errors).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/zoo-client.spec.ts
 */
import { expect } from 'chai';
import { BadArgumentsError, NoSuchMemberError, RemoteError } from '../../lib/protocol/errors.js';
import { connectLibqi, typed, type LibqiConnection, type LibqiServiceProxy } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { expectSleepCanceledAtTheZoo } from './zoo-cancel.js';
import { freePort, skipWithoutPeer, startPeer, type PeerProcess } from './peer.js';

const P = '(iis)<Point,x,y,name>';
const f32bits = (x: number): string => Buffer.from(new Float32Array([x]).buffer).toString('hex');
const f64bits = (x: number): string => Buffer.from(new Float64Array([x]).buffer).toString('hex');

describe('libqi client against qi_zoo_service', function () {
  this.timeout(30_000);
  const peers: PeerProcess[] = [];
  let connection: LibqiConnection;
  let zoo: LibqiServiceProxy;

  before(async function () {
    skipWithoutPeer(this);
    const sdPort = await freePort();
    const zooPort = await freePort();
    peers.push(await startPeer('qi_sd', [`tcp://127.0.0.1:${sdPort}`], { port: sdPort }));
    peers.push(await startPeer('qi_zoo_service', [`tcp://127.0.0.1:${sdPort}`, `tcp://127.0.0.1:${zooPort}`], { port: zooPort }));
    connection = await connectLibqi(`tcp://127.0.0.1:${sdPort}`);
    const deadline = Date.now() + 10_000;
    while (!(await connection.services()).some((s) => s.name === 'Zoo')) {
      if (Date.now() > deadline) throw new Error('Zoo did not register');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    zoo = await connection.service('Zoo');
  });

  after(async () => {
    await connection?.close();
    for (const peer of peers.reverse()) await peer.stop();
  });

  it('lists the directory and Zoo with their endpoints', async () => {
    const services = await connection.services();
    expect(services.map((s) => s.name)).to.include.members(['ServiceDirectory', 'Zoo']);
    expect(services.find((s) => s.name === 'Zoo')!.endpoints.some((e) => e.startsWith('tcp://'))).to.equal(true);
  });

  it('reads the meta-object: every member by name and exact signature', () => {
    const methods = [...zoo.metaObject.methods.values()].map((m) => `${m.uid} ${m.name}${m.parametersSignature}->${m.returnSignature}`);
    expect(methods).to.include.members([
      '100 echoBool(b)->b', '107 echoInt64(l)->l', '108 echoUInt64(L)->L', '109 echoFloat(f)->f', '112 echoRaw(r)->r',
      '118 echoDict({sm})->{sm}', `119 echoPoint(${P})->${P}`, `120 echoPointList([${P}])->[${P}]`, '121 echoOptional(+i)->+i',
      '122 echoAny(m)->m', '123 typeOf(m)->s', `125 movePoint(${P}ii)->${P}`, '126 sum(ii)->i', '127 sum(dd)->d', '128 sum([i])->i',
      '132 sleep(i)->v', '134 makeGreeter(s)->o', '135 emitAll()->v', '137 echoPost(s)->v',
    ]);
    const signals = [...zoo.metaObject.signals.values()].map((s) => `${s.uid} ${s.name}${s.signature}`);
    expect(signals).to.include.members(['139 sigVoid()', '140 sigInt(i)', '141 sigTriple(sid)', `142 sigPoint(${P})`, '143 posted(s)']);
    const properties = [...zoo.metaObject.properties.values()].map((p) => `${p.uid} ${p.name} ${p.signature}`);
    expect(properties).to.deep.equal(['144 propInt i', '145 propString s', `146 propPoint ${P}`]);
  });

  it('echoes integers at their limits, 64-bit ones as bigint', async () => {
    expect(await zoo.call('echoBool', true)).to.equal(true);
    expect(await zoo.call('echoBool', false)).to.equal(false);
    expect(await zoo.call('echoInt8', -128)).to.equal(-128);
    expect(await zoo.call('echoInt8', 127)).to.equal(127);
    expect(await zoo.call('echoUInt8', 255)).to.equal(255);
    expect(await zoo.call('echoInt16', -32768)).to.equal(-32768);
    expect(await zoo.call('echoUInt16', 65535)).to.equal(65535);
    expect(await zoo.call('echoInt32', -(2 ** 31))).to.equal(-(2 ** 31));
    expect(await zoo.call('echoInt32', 2 ** 31 - 1)).to.equal(2 ** 31 - 1);
    expect(await zoo.call('echoUInt32', 2 ** 32 - 1)).to.equal(2 ** 32 - 1);
    expect(await zoo.call('echoInt64', -(2n ** 63n))).to.equal(-(2n ** 63n));
    expect(await zoo.call('echoInt64', 2n ** 63n - 1n)).to.equal(2n ** 63n - 1n);
    expect(await zoo.call('echoUInt64', 2n ** 64n - 1n)).to.equal(2n ** 64n - 1n);
    await rejection(zoo.call('echoInt8', 128), BadArgumentsError);
  });

  it('echoes floats bit for bit: 3.5f, -1e-30f, 1/3, the smallest denormal, -inf', async () => {
    expect(f32bits((await zoo.call('echoFloat', 3.5)) as number)).to.equal(f32bits(3.5));
    expect(f32bits((await zoo.call('echoFloat', -1e-30)) as number)).to.equal(f32bits(-1e-30));
    for (const x of [1 / 3, 5e-324, -Infinity]) expect(f64bits((await zoo.call('echoDouble', x)) as number)).to.equal(f64bits(x));
  });

  it('echoes strings (empty, UTF-8, with a NUL and \\xff as bytes) and 256 raw bytes', async () => {
    expect(await zoo.call('echoString', '')).to.equal('');
    expect(await zoo.call('echoString', 'héllo ✓')).to.equal('héllo ✓');
    expect(await zoo.call('echoString', Uint8Array.of(0x61, 0, 0x62, 0xff))).to.deep.equal(Uint8Array.of(0x61, 0, 0x62, 0xff));
    const raw = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(await zoo.call('echoRaw', raw)).to.deep.equal(raw);
  });

  it('echoes lists, maps (as Maps, in libqi`s key order), a matrix, structs and optionals', async () => {
    expect(await zoo.call('echoIntList', [])).to.deep.equal([]);
    expect(await zoo.call('echoIntList', [1, -2, 2147483647])).to.deep.equal([1, -2, 2147483647]);
    expect(await zoo.call('echoStringList', ['a', '', 'ccc'])).to.deep.equal(['a', '', 'ccc']);
    expect(await zoo.call('echoStringIntMap', { a: 1, b: -2 })).to.deep.equal(new Map([['a', 1], ['b', -2]]));
    expect(await zoo.call('echoIntStringMap', new Map([[1, 'one'], [-5, 'minus five']]))).to.deep.equal(new Map([[-5, 'minus five'], [1, 'one']]));
    expect(await zoo.call('echoMatrix', [[1.5, 2.5], [], [-3]])).to.deep.equal([[1.5, 2.5], [], [-3]]);
    const p = { x: 1, y: -2, name: 'p' };
    const q = { x: 3, y: 4, name: 'q' };
    expect(await zoo.call('echoPoint', p)).to.deep.equal(p);
    expect(await zoo.call('echoPointList', [p, q])).to.deep.equal([p, q]);
    expect(await zoo.call('echoOptional', 5)).to.equal(5);
    expect(await zoo.call('echoOptional', null)).to.equal(null);
    expect(await zoo.call('echoOptional', undefined)).to.equal(null);
  });

  it('echoes a {sm} holding i, s, [i] and a Point', async () => {
    const back = (await zoo.call('echoDict', { i: 7, s: 'x', l: [1, 2], p: typed(P, { x: 1, y: -2, name: 'p' }) })) as Map<string, unknown>;
    expect(back).to.deep.equal(new Map<string, unknown>([['i', 7], ['l', [1, 2]], ['p', { x: 1, y: -2, name: 'p' }], ['s', 'x']]));
  });

  it('sends dynamics with the inferred signature, as typeOf reports it', async () => {
    const cases: Array<[unknown, string]> = [[-9, 'i'], [2.75, 'd'], ['dyn', 's'], [['a', 'b'], '[s]'], [new Map([['k', 3]]), '{si}'], [typed(P, [1, -2, 'p']), P]];
    for (const [value, signature] of cases) {
      expect(await zoo.call('typeOf', value), signature).to.equal(signature);
      const back = await zoo.call('echoAny', value);
      expect(back, signature).to.deep.equal(signature === P ? { x: 1, y: -2, name: 'p' } : value);
    }
  });

  it('calls reverseString and movePoint', async () => {
    expect(await zoo.call('reverseString', 'abc')).to.equal('cba');
    expect(await zoo.call('movePoint', { x: 1, y: -2, name: 'p' }, 10, 20)).to.deep.equal({ x: 11, y: 18, name: 'p' });
  });

  it('chooses the overload of sum by the arguments, or by name::signature, and says when none fits', async () => {
    expect(await zoo.call('sum', 40, 2)).to.equal(42);
    expect(await zoo.call('sum', 1.25, 2.5)).to.equal(3.75);
    expect(await zoo.call('sum', [1, 2, 3, 4])).to.equal(10);
    expect(await zoo.call('sum::(dd)', 1, 2)).to.equal(3);
    const error = await rejection(zoo.call('sum', 'a', 'b'), BadArgumentsError);
    expect(error.message).to.match(/no overload of Zoo\.sum/).and.match(/\(ii\)/).and.match(/\(dd\)/).and.match(/\(\[i\]\)/);
    await rejection(zoo.call('noSuchMethod'), NoSuchMemberError);
  });

  it('calls methods as its own functions, ping counting, and fail as a RemoteError with the message', async () => {
    const before = (await (zoo.pingCount as () => Promise<number>)()) as number;
    await (zoo.ping as () => Promise<void>)();
    expect(await zoo.call('pingCount')).to.equal(before + 1);
    const error = await rejection(zoo.call('fail'), RemoteError);
    expect(error.message).to.contain('zoo: expected failure');
  });

  it('completes sleep, cancels it at the service (cancelledCount grows), times it out', async () => {
    await expectSleepCanceledAtTheZoo(zoo);
  });

  it('calls an object a method returned (makeGreeter → o → greet), and terminates it on close', async () => {
    const greeter = (await zoo.call('makeGreeter', 'Hello, ')) as LibqiServiceProxy;
    expect(greeter.objectId).to.not.equal(1);
    expect(await greeter.call('greet', 'zoo')).to.equal('Hello, zoo');
    await greeter.close();
  });

  it('receives the four signals of emitAll, each once, with their values', async () => {
    const seen: Array<[string, unknown[]]> = [];
    for (const name of ['sigVoid', 'sigInt', 'sigTriple', 'sigPoint']) await zoo.on(name, (...args) => seen.push([name, args]));
    await zoo.call('emitAll');
    await eventually(() => seen.length >= 4, 2_000, 'four events');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Each exactly once; libqi's multi-threaded object does not always send them in emission order.
    expect(seen.sort(([a], [b]) => a.localeCompare(b))).to.deep.equal([
      ['sigInt', [42]],
      ['sigPoint', [{ x: -3, y: 4, name: 'emitted' }]],
      ['sigTriple', ['zoo', 7, 2.5]],
      ['sigVoid', []],
    ]);
  });

  it('sets and gets the three properties, sees propInt`s change event, and propSummary agrees', async () => {
    const changes: unknown[] = [];
    const propInt = zoo.property('propInt');
    const listener = (value: unknown): void => void changes.push(value);
    await propInt.on(listener);
    await propInt.set(99);
    await zoo.property('propString').set('changed');
    await zoo.property('propPoint').set({ x: 5, y: 6, name: 'pp' });
    expect(await propInt.get()).to.equal(99);
    expect(await zoo.property('propString').get()).to.equal('changed');
    expect(await zoo.property('propPoint').get()).to.deep.equal({ x: 5, y: 6, name: 'pp' });
    expect(await zoo.call('propSummary')).to.equal('propInt=99 propString=changed propPoint=Point{5,6,"pp"}');
    await eventually(() => changes.length === 1, 2_000, 'the propInt change event');
    expect(changes).to.deep.equal([99]);
    await propInt.off(listener);
  });

  it('posts echoPost: the posted event comes and postCount grows, with no answer', async () => {
    const posted: unknown[] = [];
    await zoo.on('posted', (text) => posted.push(text));
    const before = (await zoo.call('postCount')) as number;
    zoo.post('echoPost', 'by post');
    await eventually(() => posted.length === 1, 2_000, 'the posted event');
    expect(posted).to.deep.equal(['by post']);
    expect(await zoo.call('postCount')).to.equal(before + 1);
  });

  it('reuses one link per endpoint: a second client of Zoo shares the first one`s', async () => {
    const links = connection.links;
    expect(links).to.have.length(2);
    const again = await connection.service('Zoo');
    expect(connection.links).to.deep.equal(links);
    expect(await again.call('echoInt32', 5)).to.equal(5);
    await again.close();
    expect(await zoo.call('echoInt32', 6)).to.equal(6);
  });
});

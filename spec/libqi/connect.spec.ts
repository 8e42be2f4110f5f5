/**
 * `connect(url, { libqi })` (issue #16): the ordinary Connection to a libqi ServiceDirectory, here the kit's real
 * `qi_sd`, whose services are ServiceClients like any other: typed from a contract, signals as listeners and as
 * async iterators, properties, cancellation, waitForService and the directory's signals, what happens when the
 * robot's directory or a service restarts, credentials, and close().
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/connect.spec.ts
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import {
  CanceledError,
  ClosedError,
  connect,
  DirectoryUnavailableError,
  RemoteError,
  ServiceGoneError,
  ServiceNotFoundError,
  TimeoutError,
  UnauthorizedError,
  type Connection,
  type Property,
  type ServiceProxy,
  type Signal,
} from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { freePort, skipWithoutPeer, startPeer, type PeerProcess } from './peer.js';

interface Point {
  x: number;
  y: number;
  name: string;
}

/** The part of the kit's Zoo this spec uses, as an app would write it (README of ../shared/libqi-peer). */
interface Zoo {
  echoInt32(value: number): Promise<number>;
  echoInt64(value: bigint): Promise<bigint>;
  echoPoint(point: Point): Promise<Point>;
  echoStringIntMap(map: Record<string, number>): Promise<Record<string, number>>;
  sum(a: number | number[], b?: number): Promise<number>;
  sleep(ms: number): Promise<void>;
  cancelledCount(): Promise<number>;
  fail(): Promise<void>;
  emitAll(): Promise<void>;
  propSummary(): Promise<string>;
  sigInt: Signal<[number]>;
  sigTriple: Signal<[string, number, number]>;
  sigPoint: Signal<[Point]>;
  propInt: Property<number>;
  propString: Property<string>;
}

/** Compiled, never run: the contract types the client (tsc checks these lines in `npm test`). */
export function typedClientChecks(zoo: ServiceProxy<Zoo>): void {
  const n: Promise<number> = zoo.echoInt32(1);
  const big: Promise<bigint> = zoo.methods.echoInt64(1n);
  const p: Promise<string> = zoo.property('propString').get();
  void [n, big, p];
  // @ts-expect-error echoInt32 takes a number
  void zoo.echoInt32('one');
  // @ts-expect-error not a method of the contract
  void zoo.call('noSuchMethod');
  // @ts-expect-error sigInt carries a number
  void zoo.on('sigInt', (text: string) => text);
  // @ts-expect-error propInt is a number
  void zoo.property('propInt').set('x');
}

/** This process's TCP sockets connected to one of `ports` (Linux: /proc/self/fd and /proc/net/tcp). */
function linksTo(ports: number[]): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  let count = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const remotePort = parseInt(fields[2]!.split(':')[1]!, 16);
    if (fields[3] === '01' && ports.includes(remotePort) && inodes.has(fields[9]!)) count++;
  }
  return count;
}

async function startZoo(sdUrl: string, options: { name?: string; args?: string[] } = {}): Promise<{ peer: PeerProcess; port: number }> {
  const port = await freePort();
  const env: Record<string, string> = options.name ? { QI_ZOO_NAME: options.name } : {};
  const peer = await startPeer('qi_zoo_service', [...(options.args ?? []), sdUrl, `tcp://127.0.0.1:${port}`], { port, env });
  return { peer, port };
}

describe('connect(url, { libqi }): ServiceClients of a libqi directory', function () {
  this.timeout(40_000);

  describe('against the kit`s qi_sd and Zoo', () => {
    const peers: PeerProcess[] = [];
    let sdUrl: string;
    let sdPort: number;
    let zooPort: number;
    let connection: Connection;
    let zoo: ServiceProxy<Zoo>;

    before(async function () {
      skipWithoutPeer(this);
      sdPort = await freePort();
      sdUrl = `tcp://127.0.0.1:${sdPort}`;
      peers.push(await startPeer('qi_sd', [sdUrl], { port: sdPort }));
      const started = await startZoo(sdUrl);
      peers.push(started.peer);
      zooPort = started.port;
      connection = await connect(sdUrl, { libqi: true });
      await connection.waitForService('Zoo', { timeout: 10_000 });
      zoo = await connection.service<Zoo>('Zoo');
    });

    after(async () => {
      await connection?.close();
      for (const peer of peers.reverse()) await peer.stop();
    });

    it('is an ordinary open Connection, named by the libqi URL', () => {
      expect(connection.isOpen).to.equal(true);
      expect(connection.url).to.equal(sdUrl);
      expect(zoo.name).to.equal('Zoo');
    });

    it('calls typed methods: on the client, on `methods`, and by `call`', async () => {
      expect(await zoo.echoInt32(-2147483648)).to.equal(-2147483648);
      expect(await zoo.methods.echoInt64(-(2n ** 63n))).to.equal(-(2n ** 63n));
      expect(await zoo.echoPoint({ x: 1, y: -2, name: 'p' })).to.deep.equal({ x: 1, y: -2, name: 'p' });
      expect(await zoo.echoStringIntMap({ a: 1 })).to.deep.equal({ a: 1 });
      expect(await zoo.sum(40, 2)).to.equal(42);
      expect(await zoo.sum([1, 2, 3])).to.equal(6);
      expect(await zoo.call('propSummary')).to.be.a('string');
    });

    it('delivers signals to listeners and to async iterators', async () => {
      const heard: number[] = [];
      const listener = (n: number): number => heard.push(n);
      await zoo.on('sigInt', listener);
      const triples = await zoo.signal('sigTriple').ready;
      const points = await zoo.signal('sigPoint').ready;
      await zoo.emitAll();
      // `break` ends a loop and its subscription; the listener's stays until off.
      for await (const triple of triples) {
        expect(triple).to.deep.equal(['zoo', 7, 2.5]);
        break;
      }
      for await (const [point] of points) {
        expect(point).to.deep.equal({ x: -3, y: 4, name: 'emitted' });
        break;
      }
      await eventually(() => heard.length === 1, 2_000, 'sigInt');
      expect(heard).to.deep.equal([42]);
      await zoo.off('sigInt', listener);
      await zoo.emitAll();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).to.deep.equal([42]);
    });

    it('reports what a listener throws to onListenerError; the other listeners still hear', async () => {
      const errors: unknown[] = [];
      const own = await connection.service<Zoo>('Zoo', { onListenerError: (err) => errors.push(err) });
      const heard: number[] = [];
      await own.on('sigInt', () => {
        throw new Error('listener broke');
      });
      await own.on('sigInt', (n) => heard.push(n));
      await own.emitAll();
      await eventually(() => heard.length === 1 && errors.length === 1, 2_000, 'both listeners');
      expect((errors[0] as Error).message).to.equal('listener broke');
      await own.close();
    });

    it('gets, sets and watches properties', async () => {
      const propInt = zoo.property('propInt');
      const seen: number[] = [];
      const watch = (value: number): number => seen.push(value);
      await propInt.on(watch);
      await propInt.set(77);
      expect(await propInt.get()).to.equal(77);
      await zoo.property('propString').set('from connect');
      expect(await zoo.propSummary()).to.contain('propInt=77 propString=from connect');
      await eventually(() => seen.includes(77), 2_000, 'the propInt change');
      await propInt.off(watch);
    });

    it('cancels: the call rejects with CanceledError and the service saw the cancel', async () => {
      const before = await zoo.cancelledCount();
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 200);
      const started = Date.now();
      await rejection(zoo.with({ signal: abort.signal }).sleep(10_000), CanceledError);
      expect(Date.now() - started).to.be.below(5_000);
      const deadline = Date.now() + 3_000;
      while ((await zoo.cancelledCount()) !== before + 1) {
        if (Date.now() > deadline) expect.fail('cancelledCount did not grow by one');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });

    it('turns fail into a RemoteError, and a missing name into ServiceNotFound', async () => {
      expect((await rejection(zoo.fail(), RemoteError)).message).to.contain('zoo: expected failure');
      await rejection(connection.service('NoSuchService'), ServiceNotFoundError);
    });

    it('waits for a service, hears serviceAdded/Removed, and ends a client whose service left with ServiceGone', async () => {
      const directory = await connection.directory();
      const added: string[] = [];
      const removed: string[] = [];
      await directory.on('serviceAdded', (name) => added.push(name));
      await directory.on('serviceRemoved', (name) => removed.push(name));
      const waiting = connection.waitForService('Zoo2', { timeout: 15_000 });
      const zoo2 = await startZoo(sdUrl, { name: 'Zoo2' });
      peers.push(zoo2.peer);
      expect(await waiting).to.include({ name: 'Zoo2' });
      expect((await connection.services()).map((s) => s.name)).to.include.members(['Zoo', 'Zoo2']);
      const client = await connection.service<Zoo>('Zoo2');
      expect(await client.sum(1, 1)).to.equal(2);
      await zoo2.peer.stop();
      expect(await client.closed).to.be.instanceOf(ServiceGoneError);
      await eventually(() => added.includes('Zoo2') && removed.includes('Zoo2'), 3_000, 'serviceAdded and serviceRemoved of Zoo2');
    });

    it('holds a link to the directory and one to the service, and close() stops every one', async () => {
      const other = await connect(sdUrl, { libqi: true });
      const before = linksTo([sdPort, zooPort]);
      const z = await other.service<Zoo>('Zoo');
      expect(await z.echoInt32(3)).to.equal(3);
      expect(linksTo([sdPort, zooPort]) - before).to.be.at.least(1);
      await other.close();
      await eventually(() => linksTo([sdPort, zooPort]) <= before - 1, 3_000, 'the links of the closed connection gone');
      expect(other.isOpen).to.equal(false);
      // As on any connection: closing it ends its clients with ClosedError.
      expect(await z.closed).to.be.instanceOf(ClosedError);
    });
  });

  describe('when the kit`s qi_sd and Zoo restart (a robot restarting NAOqi)', () => {
    const peers: PeerProcess[] = [];
    let sdUrl: string;
    let sdPort: number;
    let sd: PeerProcess;
    let zoo: PeerProcess;
    let connection: Connection;

    before(async function () {
      skipWithoutPeer(this);
      sdPort = await freePort();
      sdUrl = `tcp://127.0.0.1:${sdPort}`;
      sd = await startPeer('qi_sd', [sdUrl], { port: sdPort });
      zoo = (await startZoo(sdUrl)).peer;
      // A short backoff, so that the client told to wait binds again soon after the service is back.
      connection = await connect(sdUrl, { libqi: true, reconnect: { maxDelayMs: 300 } });
      await connection.waitForService('Zoo', { timeout: 10_000 });
    });

    after(async () => {
      await connection?.close();
      for (const peer of [...peers.reverse(), zoo, sd]) await peer?.stop();
    });

    it('ends or suspends its clients when the directory goes, refuses new binds, and a waiting client binds the new Zoo', async () => {
      const waiting = await connection.service<Zoo>('Zoo', { whenServiceGone: 'wait' });
      const ending = await connection.service<Zoo>('Zoo');
      const statuses: string[] = [];
      waiting.onStatus((s) => statuses.push(s.status));
      const directory = await connection.directory();
      const added: string[] = [];
      await directory.on('serviceAdded', (name) => added.push(name));

      await sd.stop();
      // libqi's Zoo drops its clients' links with its own directory link (a libqi session ends as one): its
      // bindings go, as when a native service goes away behind a gateway.
      expect(await ending.closed).to.be.instanceOf(ServiceGoneError);
      await eventually(() => statuses.includes('disconnected'), 3_000, 'the waiting client suspended');
      await rejection(connection.service('Zoo'), DirectoryUnavailableError);
      // Calls on the waiting client wait for it to be bound again, up to their timeout.
      await rejection(waiting.with({ timeout: 200 }).sum(1, 1), TimeoutError);
      expect(connection.isOpen, 'the connection itself stays open, as to a gateway whose directory is away').to.equal(true);

      // The old Zoo registers nowhere now (libqi 4.0.5 does not register again): a restart, as NAOqi does.
      await zoo.stop();
      sd = await startPeer('qi_sd', [sdUrl], { port: sdPort });
      zoo = (await startZoo(sdUrl)).peer;
      expect(await waiting.with({ timeout: 20_000 }).sum(20, 22)).to.equal(42);
      expect(statuses).to.include('rebound');
      expect((await connection.services()).map((s) => s.name)).to.include('Zoo');
      // The listener of before hears the new directory (what it announced while the link was down is missed).
      peers.push((await startZoo(sdUrl, { name: 'Zoo3' })).peer);
      await eventually(() => added.includes('Zoo3'), 5_000, 'serviceAdded of Zoo3 from the new directory');
      const fresh = await connection.service<Zoo>('Zoo');
      expect(await fresh.echoInt32(9)).to.equal(9);
      await fresh.close();
      await waiting.close();
    });

    it('opens the directory link again by itself: a listener hears the restarted directory without any bind', async () => {
      const directory = await connection.directory();
      const added: string[] = [];
      await directory.on('serviceAdded', (name) => added.push(name));
      await sd.stop();
      await zoo.stop();
      sd = await startPeer('qi_sd', [sdUrl], { port: sdPort });
      // The bridge tries again on its backoff (at most 1 s apart), by itself: once its link is up (and has had the
      // time to subscribe), a service registers.
      await eventually(() => linksTo([sdPort]) >= 1, 10_000, 'the directory link opened again');
      await new Promise((resolve) => setTimeout(resolve, 300));
      zoo = (await startZoo(sdUrl, { name: 'Zoo4' })).peer;
      await eventually(() => added.includes('Zoo4'), 5_000, 'serviceAdded of Zoo4');
    });
  });

  describe('with qi_sd --auth=token', () => {
    const peers: PeerProcess[] = [];
    let sdUrl: string;

    before(async function () {
      skipWithoutPeer(this);
      const sdPort = await freePort();
      sdUrl = `tcp://127.0.0.1:${sdPort}`;
      peers.push(await startPeer('qi_sd', ['--auth=token', '--user=alice', '--token=s3cret', sdUrl], { port: sdPort }));
      peers.push((await startZoo(sdUrl, { args: ['--user=alice', '--token=s3cret'] })).peer);
    });

    after(async () => {
      for (const peer of peers.reverse()) await peer.stop();
    });

    it('connects with the right token and calls', async () => {
      const connection = await connect(sdUrl, { libqi: { credentials: { user: 'alice', token: 's3cret' } } });
      try {
        await connection.waitForService('Zoo', { timeout: 10_000 });
        const zoo = await connection.service<Zoo>('Zoo');
        expect(await zoo.sum(1, 2)).to.equal(3);
      } finally {
        await connection.close();
      }
    });

    it('is refused with UnauthorizedError for a wrong token or none', async () => {
      await rejection(connect(sdUrl, { libqi: { credentials: { user: 'alice', token: 'wrong' } } }), UnauthorizedError);
      await rejection(connect(sdUrl, { libqi: true }), UnauthorizedError);
    });
  });

  it('rejects when nothing listens at the URL, and gives up when its signal aborts', async function () {
    skipWithoutPeer(this);
    const port = await freePort();
    const error = await connect(`tcp://127.0.0.1:${port}`, { libqi: { connectTimeout: 2_000 } }).then(
      () => expect.fail('connected to nothing'),
      (err: unknown) => err,
    );
    expect(error).to.be.an('error');
    expect((error as { code?: string }).code).to.be.oneOf(['TransportError', 'ConnectionLost', 'Timeout']);
    const abort = new AbortController();
    const retrying = connect(`tcp://127.0.0.1:${port}`, { libqi: true, retry: true, signal: abort.signal });
    setTimeout(() => abort.abort(), 300);
    await rejection(retrying, CanceledError);
  });

  it('with retry, keeps trying until the directory is up', async function () {
    skipWithoutPeer(this);
    const port = await freePort();
    const url = `tcp://127.0.0.1:${port}`;
    const connecting = connect(url, { libqi: true, retry: true, reconnect: { maxDelayMs: 200 } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const sd = await startPeer('qi_sd', [url], { port });
    try {
      const connection = await connecting;
      expect(connection.isOpen).to.equal(true);
      expect(await connection.services()).to.deep.equal([]);
      await connection.close();
    } finally {
      await sd.stop();
    }
  });
});

/**
 * What each attack of issue #13 costs now, measured: `npm run attacks` (node --expose-gc --import tsx).
 *
 * For each attack a fresh robot process (bench/attacks-robot.ts: directory + calc service + gateway on TCP, the
 * gateway on ws:// too) and a good client process (bench/attacks-good.ts: calc.add through the gateway, one call
 * every 2 ms) are started; the good client's p50 is taken for 1.5 s before, then this process plays the hostile
 * peer over real sockets, raw bytes where the attack is malformed (RawPeer below) and the library's own client
 * where it is well-formed but hostile. The robot reports its largest event-loop stall during the attack, its RSS
 * and heap (after gc before and after, and the peak), and every accepted link it closed, by side and error code.
 * One markdown row per attack. Sizes scaled down from the issue are said in the row.
 *
 *   npm run attacks [-- --only dag,bignum]
 */
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { connect, createService, type Connection } from '../lib/index.js';
import { decodeBody, encodeBody } from '../lib/protocol/codec.js';
import { CONTROL_CHANNEL, ControlAction, MAIN_OBJECT } from '../lib/protocol/control.js';
import { FrameDecoder } from '../lib/protocol/frame-decoder.js';
import { encodeFrame, HEADER_SIZE, MessageType, readHeader, startFrame } from '../lib/protocol/header.js';
import { capabilityFrame } from '../spec/helpers.js';
import { capabilityWithDag, cbor, head, repeat, text } from '../spec/protocol/hostile-cbor.js';
import { median } from './measure.js';
import { startWorker, stopAll } from './processes.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = 1 << 20;

// ---------------------------------------------------------------------------------------------------------------
// A raw peer: a TCP socket speaking frames by hand.

interface Answer {
  type: number;
  body: unknown;
}

class RawPeer {
  readonly closed: Promise<number>;
  /** The message of the last Error frame nobody waited for (what a refusal said). */
  lastError: string | undefined;
  isClosed = false;
  private readonly decoder = new FrameDecoder({ maxBodySize: 64 * MiB });
  private readonly waiters = new Map<number, (answer: Answer) => void>();
  private capability: (() => void) | undefined;
  private nextId = 1;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve(performance.now());
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (frame) => this.onFrame(frame));
      } catch {
        socket.destroy();
      }
    });
  }

  static async open(url: string): Promise<RawPeer> {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  send(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  async handshake(): Promise<void> {
    const capability = new Promise<void>((resolve) => (this.capability = resolve));
    this.send(capabilityFrame(0));
    await capability;
  }

  request(channel: number, object: number, action: number, body: Uint8Array): Promise<Answer> {
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve) => this.waiters.set(id, resolve));
    this.send(encodeFrame({ id, type: MessageType.Call, channel, object, action }, body));
    return answer;
  }

  /** Binds `name`: its channel and its methods' ids by name. */
  async bind(name: string): Promise<{ channel: number; methods: Map<string, number> }> {
    const answer = await this.request(CONTROL_CHANNEL, 0, ControlAction.bind, encodeBody({ name }));
    const reply = answer.body as { channel: number; metaObject: { methods: Array<{ name: string; id: number }> } };
    return { channel: reply.channel, methods: new Map(reply.metaObject.methods.map((m) => [m.name, m.id])) };
  }

  close(): void {
    this.socket.destroy();
  }

  private onFrame(frame: Uint8Array): void {
    const header = readHeader(frame);
    if (header.type === MessageType.Capability) {
      this.capability?.();
      return;
    }
    const waiter = this.waiters.get(header.id);
    if (waiter && (header.type === MessageType.Reply || header.type === MessageType.Error)) {
      this.waiters.delete(header.id);
      waiter({ type: header.type, body: decodeBody(frame.subarray(HEADER_SIZE)) });
    } else if (header.type === MessageType.Error) {
      const body = decodeBody(frame.subarray(HEADER_SIZE)) as { code?: string; message?: string };
      this.lastError = `${body.code}: ${body.message}`;
    }
  }
}

async function openMany(url: string, count: number, handshake: boolean): Promise<RawPeer[]> {
  const peers: RawPeer[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => RawPeer.open(url)));
    if (handshake) await Promise.all(batch.map((peer) => peer.handshake()));
    peers.push(...batch);
  }
  return peers;
}

/** Resolves when every peer is closed (or after `ms`): how many closed and when the last did, from `since`. */
async function allClosed(peers: RawPeer[], since: number, ms: number): Promise<{ closed: number; lastMs: number; firstMs: number }> {
  const times: number[] = [];
  await Promise.race([Promise.all(peers.map((peer) => peer.closed.then((t) => times.push(t - since)))), sleep(ms)]);
  return { closed: times.length, lastMs: Math.max(0, ...times), firstMs: times.length ? Math.min(...times) : NaN };
}

// ---------------------------------------------------------------------------------------------------------------
// The harness: a robot and a good client per attack.

interface Urls {
  directory: string;
  service: string;
  gateway: string;
  ws: string;
}

interface Outcome {
  /** What happened: refused/closed with which error, or bounded at which limit. */
  what: string;
  /** Time to that outcome, as text. */
  time: string;
  /** Called after the robot's `end`, before its memory is taken again. */
  cleanup?: () => Promise<void> | void;
}

interface Ctx {
  urls: Urls;
  robot: ChildProcess;
  good: ChildProcess;
  /** What the robot closed so far, by side and code. */
  closes(): Promise<Closes>;
}

type Closes = Record<string, { count: number; first: string }>;

interface Attack {
  key: string;
  name: string;
  robot?: { upgradeTimeoutMs?: number };
  run(ctx: Ctx): Promise<Outcome>;
}

function ask<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T));
    child.send(message);
  });
}

interface Window {
  calls: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  errors: number;
  kinds: Record<string, number>;
}

const mb = (bytes: number): string => (bytes / MiB).toFixed(0);
const ms = (value: number | null): string => (value === null ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(0));
const describeCloses = (closes: Closes): string =>
  Object.entries(closes)
    .map(([key, { count, first }]) => `${key} ×${count} (“${first}”)`)
    .join('; ');

async function measure(attack: Attack): Promise<string> {
  const load = os.loadavg()[0]!;
  const { ready: urls, child: robot } = await startWorker<Urls>('bench/attacks-robot.ts', JSON.stringify(attack.robot ?? {}));
  const { child: good } = await startWorker('bench/attacks-good.ts', urls.gateway);
  try {
    await sleep(500);
    await ask<Window>(good, { cmd: 'window' });
    await sleep(1_500);
    const before = await ask<Window>(good, { cmd: 'window' });
    const memBefore = await ask<{ rss: number; heap: number }>(robot, { cmd: 'begin' });
    await ask<Window>(good, { cmd: 'window' });
    const ctx: Ctx = { urls, robot, good, closes: () => ask<Closes>(robot, { cmd: 'closes' }) };
    let outcome: Outcome;
    try {
      outcome = await attack.run(ctx);
    } catch (error) {
      outcome = { what: `the harness failed: ${(error as Error).stack?.split('\n').slice(0, 2).join(' ')}`, time: '–' };
    }
    const during = await ask<Window>(good, { cmd: 'window' });
    const sample = await ask<{ maxStallMs: number; eldMaxMs: number; peakRss: number; peakHeap: number; closes: Closes }>(robot, { cmd: 'end' });
    await outcome.cleanup?.();
    await sleep(500);
    const memAfter = await ask<{ rss: number; heap: number }>(robot, { cmd: 'mem' });
    const closes = describeCloses(sample.closes);
    const goodText = `${ms(before.p50)} → ${ms(during.p50)} ms (p99 ${ms(during.p99)}, max ${ms(during.max)}; ${during.calls} calls; errors ${during.errors}${during.errors ? ' ' + JSON.stringify(during.kinds) : ''})`;
    const loadAfter = os.loadavg()[0]!;
    return (
      `| ${attack.name} | ${outcome.what}${closes ? ` — robot closed: ${closes}` : ''} | ${outcome.time} | ${sample.maxStallMs.toFixed(0)} ms | ` +
      `${mb(memBefore.rss)} → ${mb(sample.peakRss)} → ${mb(memAfter.rss)} | ${mb(memBefore.heap)} → ${mb(sample.peakHeap)} → ${mb(memAfter.heap)} | ${goodText} | ${load.toFixed(1)}/${loadAfter.toFixed(1)} |`
    );
  } finally {
    const exits = [robot, good].map((child) => (child.exitCode === null ? once(child, 'exit') : Promise.resolve()));
    stopAll();
    await Promise.all(exits);
  }
}

/** Ends the robot's sampling window and starts a new one: the stall of what came before, kept out of the row. */
async function phase(robot: ChildProcess): Promise<{ maxStallMs: number }> {
  const sample = await ask<{ maxStallMs: number }>(robot, { cmd: 'end' });
  await ask(robot, { cmd: 'begin' });
  return sample;
}

/** What a call came to: 'ok' for a value, else its error's name (handled at once: no unhandled rejection). */
const kindOf = (call: Promise<unknown>): Promise<string> => call.then(() => 'ok', (error: Error) => error.name);

/** Counts outcomes by kind. */
async function tally(kinds: Array<Promise<string>>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const kind of await Promise.all(kinds)) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const fmtCounts = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([kind, n]) => `${n.toLocaleString('en')} ${kind}`)
    .join(', ');

/** Runs `one` over and over for `ms`, sequentially; the times it took. */
async function repeatFor(ms: number, one: () => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) times.push(await one());
  return times;
}

// ---------------------------------------------------------------------------------------------------------------
// The attacks.

/** Sends `frame` as the first bytes of a fresh link, over and over for 2 s: time to the link's close. */
function firstFrameAttack(frame: Uint8Array): (ctx: Ctx) => Promise<Outcome> {
  return async ({ urls }) => {
    let said = '';
    const times = await repeatFor(2_000, async () => {
      const peer = await RawPeer.open(urls.gateway);
      const start = performance.now();
      peer.send(frame);
      const end = await peer.closed;
      said ||= peer.lastError ?? 'closed without a word';
      return end - start;
    });
    return { what: `${frame.length.toLocaleString('en')}-byte frame before the handshake, ${times.length} links one after another: answered ${said}, link closed`, time: `median ${times.length ? median(times).toFixed(2) : '–'} ms, max ${Math.max(...times).toFixed(1)} ms to the close` };
  };
}

const SLOWEST_STRINGS = 32_766; // outer array + inner array + strings = 32,768 items, MAX_BODY_ITEMS
const slowestText = cbor([0x81], head(4, SLOWEST_STRINGS), repeat(SLOWEST_STRINGS, [0x78, 64, ...new Array<number>(64).fill(0xff)]));
const mapCount = Math.floor((32_768 - 2) / 3);
const slowestMaps = ((): Uint8Array => {
  const maps: number[] = [];
  for (let i = 0; i < mapCount; i++) maps.push(0xa1, ...text(`distinct-${i}`), 0);
  return cbor([0x81], head(4, mapCount), maps);
})();

const attacks: Attack[] = [
  {
    key: 'dag',
    name: '1. 28/29 shared-reference DAG (2^40 leaves) as the first frame',
    run: firstFrameAttack(encodeFrame({ id: 1, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, capabilityWithDag(40))),
  },
  {
    key: 'bignum',
    name: '2a. 256 KiB tag-2 bignum as the first frame',
    run: firstFrameAttack(encodeFrame({ id: 1, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, cbor([0xc2], head(2, 256 << 10), new Uint8Array(256 << 10).fill(0xff)))),
  },
  {
    key: 'slowest',
    name: '2b. slowest accepted bodies, echoed through the gateway',
    async run({ urls }) {
      const peer = await RawPeer.open(urls.gateway);
      await peer.handshake();
      const { channel, methods } = await peer.bind('calc');
      const echo = methods.get('echo')!;
      const result: string[] = [];
      for (const [label, body] of [['32,766 strings of 64 bytes 0xff', slowestText], [`${mapCount.toLocaleString('en')} one-key maps of distinct keys`, slowestMaps]] as const) {
        const times: number[] = [];
        let said = '';
        for (let i = 0; i < 5; i++) {
          const start = performance.now();
          const answer = await peer.request(channel, MAIN_OBJECT, echo, body);
          times.push(performance.now() - start);
          said = answer.type === MessageType.Reply ? 'echoed' : `Error ${JSON.stringify(answer.body).slice(0, 80)}`;
        }
        result.push(`${label} (${(body.length / 1024).toFixed(0)} KiB): ${said}, round trip median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`);
      }
      peer.close();
      return { what: `accepted (within MAX_BODY_ITEMS 32,768), 5 calls each; ${result.join('; ')}`, time: 'see the round trips' };
    },
  },
  {
    key: 'stray',
    name: '3. stray replies on a gone channel (bind, 100 echoes shaped like a bind reply, unbind at once)',
    async run({ urls, good }) {
      await ask(good, { cmd: 'rebind', on: true });
      await sleep(200);
      const conn = await connect(urls.gateway);
      const fake = { channel: 1, metaObject: { name: 'calc', methods: [{ id: 100, name: 'add', arity: 2 }], signals: [], properties: [] } };
      let cycles = 0;
      const pending: Array<Promise<string>> = [];
      const deadline = performance.now() + 4_000;
      while (performance.now() < deadline) {
        const calc = await conn.service('calc');
        for (let i = 0; i < 100; i++) pending.push(kindOf(calc.call('echo', fake)));
        await calc.close();
        cycles++;
      }
      const counts = await tally(pending);
      return {
        what: `${cycles} cycles, ${pending.length.toLocaleString('en')} stray-shaped echoes (${fmtCounts(counts)} at the attacker); the good client binds afresh for every call and checks its echo`,
        time: '4 s of attack',
        cleanup: async () => {
          await ask(good, { cmd: 'rebind', on: false });
          await conn.close();
        },
      };
    },
  },
  {
    key: 'register',
    name: '4. register/unregister through the gateway and directly',
    async run({ urls }) {
      const viaGateway = await connect(urls.gateway);
      const direct = await connect(urls.directory);
      const gd = await viaGateway.directory();
      const dd = await direct.directory();
      const calcId = (await dd.lookup('calc')).id;
      const tries = async (label: string, call: () => Promise<unknown>): Promise<string> => {
        const counts: Record<string, number> = {};
        const times: number[] = [];
        let first = '';
        for (let i = 0; i < 50; i++) {
          const start = performance.now();
          const kind = await call().then(() => 'ok', (error: Error) => ((first ||= error.message.slice(0, 90)), error.name));
          times.push(performance.now() - start);
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
        return `${label}: ${fmtCounts(counts)} (“${first}”) in ${median(times).toFixed(2)} ms`;
      };
      const lines = [
        await tries("gateway register('calc', ['tcp://attacker:4444'])", () => gd.register('calc', ['tcp://attacker:4444'])),
        await tries('gateway unregister(calc)', () => gd.unregister(calcId)),
        await tries("direct register('calc', ['tcp://attacker:4444'])", () => dd.register('calc', ['tcp://attacker:4444'])),
        await tries("direct register('calc2', ['tcp://attacker:4444'])", () => dd.register('calc2', ['tcp://attacker:4444'])),
        await tries('direct unregister(calc)', () => dd.unregister(calcId)),
      ];
      const after = await dd.lookup('calc');
      lines.push(`calc afterwards: id ${after.id === calcId ? 'unchanged' : 'CHANGED'}, endpoints ${after.endpoints.join(' ')}`);
      return {
        what: `50 tries each; ${lines.join('; ')}`,
        time: 'median per refusal above',
        cleanup: async () => {
          await viaGateway.close();
          await direct.close();
        },
      };
    },
  },
  {
    key: 'half-header',
    name: '5a. 500 links that send half a header after the handshake',
    async run({ urls, robot }) {
      const peers = await openMany(urls.gateway, 500, true);
      const setup = await phase(robot);
      const start = performance.now();
      const half = startFrame(MessageType.Call, 1, 1, 1, 100, 64).subarray(0, 14);
      for (const peer of peers) peer.send(half);
      const { closed, firstMs, lastMs } = await allClosed(peers, start, 15_000);
      for (const peer of peers) peer.close();
      return { what: `${closed} of 500 closed by the gateway (heartbeat: 1 s interval, 1 missed); opening the 500 links (handshakes, 50 at a time) stalled it ${setup.maxStallMs.toFixed(0)} ms, the stall column is the half headers and the closes`, time: `${(firstMs / 1000).toFixed(1)}–${(lastMs / 1000).toFixed(1)} s after the half header` };
    },
  },
  {
    key: 'half-header-pre',
    name: '5a. 500 links that send half a header before the handshake',
    async run({ urls }) {
      const peers = await openMany(urls.gateway, 500, false);
      const start = performance.now();
      for (const peer of peers) peer.send(capabilityFrame(0).subarray(0, 14));
      const { closed, firstMs, lastMs } = await allClosed(peers, start, 15_000);
      for (const peer of peers) peer.close();
      return { what: `${closed} of 500 closed by the gateway (handshakeTimeoutMs 10 s)`, time: `${(firstMs / 1000).toFixed(1)}–${(lastMs / 1000).toFixed(1)} s` };
    },
  },
  ...[10_000, 2_000].map(
    (timeout): Attack => ({
      key: `ws-upgrade-${timeout}`,
      name: `5a. 200 half-finished WebSocket upgrades (upgradeTimeoutMs ${timeout.toLocaleString('en')}${timeout === 10_000 ? ', the default' : ''})`,
      robot: timeout === 10_000 ? {} : { upgradeTimeoutMs: timeout },
      async run({ urls }) {
        const peers = await openMany(urls.ws.replace(/^ws:/, 'tcp:'), 200, false);
        const start = performance.now();
        const firstBytes: string[] = [];
        for (const peer of peers) {
          peer.socket.removeAllListeners('data');
          peer.socket.once('data', (chunk: Buffer) => firstBytes.push(chunk.toString('latin1').split('\r\n')[0]!));
          peer.send(Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'));
        }
        const { closed, firstMs, lastMs } = await allClosed(peers, start, timeout + 8_000);
        for (const peer of peers) peer.close();
        return { what: `${closed} of 200 closed by the listener${firstBytes.length ? ` (answered “${firstBytes[0]}” ×${firstBytes.length})` : ', no answer'}`, time: `${(firstMs / 1000).toFixed(1)}–${(lastMs / 1000).toFixed(1)} s` };
      },
    }),
  ),
  {
    key: 'one-byte',
    name: '5b. one-byte writes of a 4 MiB frame (20 links, one byte per link per tick, TCP_NODELAY)',
    async run({ urls, robot }) {
      const peers = await openMany(urls.gateway, 20, true);
      const before = await ask<{ heap: number; buffers: number }>(robot, { cmd: 'mem' });
      const start = performance.now();
      const header = startFrame(MessageType.Call, 1, 1, 1, 100, 4 * MiB).subarray(0, HEADER_SIZE);
      for (const peer of peers) peer.send(header);
      let sent = 0;
      let held: { sent: number; bytes: number } | undefined;
      const byte = Uint8Array.of(7);
      while (peers.some((peer) => !peer.isClosed) && performance.now() - start < 15_000) {
        for (const peer of peers) if (!peer.isClosed && peer.send(byte)) sent++;
        await new Promise((resolve) => setImmediate(resolve));
        if (!held && performance.now() - start > 1_500) {
          // Still inside the heartbeat's 2 s: what the gateway holds for the trickled frames, after gc.
          const now = await ask<{ heap: number; buffers: number }>(robot, { cmd: 'mem' });
          held = { sent, bytes: now.heap + now.buffers - before.heap - before.buffers };
        }
      }
      const end = performance.now();
      const perByte = held ? (held.bytes / held.sent).toFixed(1) : '–';
      return {
        what: `${sent.toLocaleString('en')} one-byte writes before all 20 links were closed (heartbeat); at 1.5 s, after gc, the gateway held ${held ? (held.bytes / 1024).toFixed(0) : '–'} KiB (heap + buffers) for ${held?.sent.toLocaleString('en')} bytes sent: ${perByte} B per byte (was 63–125)`,
        time: `${((end - start) / 1000).toFixed(1)} s to the last close`,
      };
    },
  },
  {
    key: 'slow-bodies',
    name: '5b. 200 links each declaring a 16 MiB body, sent at 160 KiB/s each (16 KiB every 100 ms)',
    async run({ urls }) {
      const peers = await openMany(urls.gateway, 200, true);
      const start = performance.now();
      const header = startFrame(MessageType.Call, 1, 1, 1, 100, 16 * MiB).subarray(0, HEADER_SIZE);
      for (const peer of peers) peer.send(header);
      const piece = new Uint8Array(16 << 10).fill(1);
      let sent = 0;
      while (peers.some((peer) => !peer.isClosed) && performance.now() - start < 20_000) {
        for (const peer of peers) if (!peer.isClosed) (peer.send(piece), (sent += piece.length));
        await sleep(100);
      }
      const { closed, lastMs } = await allClosed(peers, start, 0);
      for (const peer of peers) peer.close();
      return { what: `${closed} of 200 closed by the gateway after ${mb(sent)} MB sent in all (heartbeat: no complete frame)`, time: `${(lastMs / 1000).toFixed(1)} s to the last close` };
    },
  },
  {
    key: 'bind-flood',
    name: '5c. bind flood on one link (2,000 binds of calc through the gateway, 50 at a time)',
    async run({ urls }) {
      const conn = await connect(urls.gateway);
      const start = performance.now();
      const counts: Record<string, number> = {};
      let firstRefusal = NaN;
      let said = '';
      const bound: Array<{ close(): Promise<void> }> = [];
      for (let i = 0; i < 2_000; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            conn.service('calc').then(
              (client) => (bound.push(client), (counts.ok = (counts.ok ?? 0) + 1)),
              (error: Error) => {
                if (Number.isNaN(firstRefusal)) firstRefusal = performance.now() - start;
                said ||= error.message.slice(0, 90);
                counts[error.name] = (counts[error.name] ?? 0) + 1;
              },
            ),
          ),
        );
      }
      const total = performance.now() - start;
      const other = await connect(urls.gateway);
      const fresh = await other.service('calc').then(
        async (client) => `ok (add → ${String(await client.call('add', 2, 3))})`,
        (error: Error) => error.name,
      );
      return {
        what: `${fmtCounts(counts)} (“${said}”); a bind from another link of the same host meanwhile: ${fresh}`,
        time: `first refusal at ${(firstRefusal / 1000).toFixed(2)} s, all 2,000 in ${(total / 1000).toFixed(1)} s`,
        cleanup: async () => {
          await other.close();
          await conn.close();
        },
      };
    },
  },
  ...(['service', 'gateway'] as const).map(
    (where): Attack => ({
      key: `slow-calls-${where}`,
      name: `5d. 200,000 slow calls on one link, ${where === 'service' ? 'straight to the service' : 'through the gateway'}`,
      async run({ urls, robot }) {
        const conn = await connect(where === 'service' ? urls.service : urls.gateway, { maxPendingCalls: 1_000_000 });
        const calc = await conn.service('calc');
        const start = performance.now();
        const counts: Record<string, number> = {};
        let said = '';
        let refusals = 0;
        let lastRefusal = 0;
        const calls: Array<Promise<void>> = [];
        for (let i = 0; i < 200_000; i++) {
          calls.push(
            calc.call('hold', 60_000).then(
              () => void (counts.ok = (counts.ok ?? 0) + 1),
              (error: Error) => {
                said ||= error.message.slice(0, 90);
                counts[error.name] = (counts[error.name] ?? 0) + 1;
                refusals++;
                lastRefusal = performance.now() - start;
              },
            ),
          );
          if (i % 5_000 === 4_999) await new Promise((resolve) => setImmediate(resolve));
        }
        const sentMs = performance.now() - start;
        const expected = where === 'service' ? 100_000 : 199_000;
        while (refusals < expected && performance.now() - start < 60_000) await sleep(50);
        const refusedMs = lastRefusal;
        const refused = fmtCounts(counts);
        await ask(robot, { cmd: 'release' });
        await Promise.race([Promise.all(calls), sleep(20_000)]);
        const settledMs = performance.now() - start;
        return {
          what: `before release: ${refused} (“${said}”); after release: ${fmtCounts(counts)}`,
          time: `sent in ${(sentMs / 1000).toFixed(1)} s, last refusal at ${(refusedMs / 1000).toFixed(1)} s, all settled ${(settledMs / 1000).toFixed(1)} s`,
          cleanup: () => conn.close(),
        };
      },
    }),
  ),
  ...(['gateway', 'service'] as const).map(
    (where): Attack => ({
      key: `never-reads-${where}`,
      name: `5e. a peer that calls chunk() (64 KiB replies) and never reads, ${where === 'service' ? 'straight to the service' : 'through the gateway'}`,
      async run({ urls, closes }) {
        const conn = await connect(where === 'service' ? urls.service : urls.gateway, { maxPendingCalls: 1_000_000 });
        const calc = await conn.service('calc');
        (conn.actor.getSnapshot().context as unknown as { session: { pause(): void } }).session.pause();
        const start = performance.now();
        let sent = 0;
        let cut = '';
        while (performance.now() - start < 10_000) {
          for (let i = 0; i < 500; i++, sent++) calc.call('chunk').catch(() => {});
          await sleep(10);
          const now = await closes();
          const key = Object.keys(now).find((k) => k.startsWith(where) && k.endsWith('LimitExceeded'));
          if (key) {
            cut = `${key} (“${now[key]!.first}”)`;
            break;
          }
        }
        const elapsed = performance.now() - start;
        return {
          what: cut ? `cut off after ${sent.toLocaleString('en')} calls: ${cut}` : `not cut off in 10 s but pushed back: the robot stopped reading the attacker, whose ${sent.toLocaleString('en')} calls pile up in its own process (limit maxBufferedBytes 64 MiB never reached)`,
          time: cut ? `${(elapsed / 1000).toFixed(1)} s to the cut` : `${(elapsed / 1000).toFixed(1)} s (the whole attack)`,
          cleanup: () => conn.close().catch(() => {}),
        };
      },
    }),
  ),
  {
    key: 'registrations',
    name: '5f. 21,050 registrations straight to the directory (one link 300, then 83 links × 250, 50 at a time)',
    async run({ urls }) {
      const conns: Connection[] = [];
      const start = performance.now();
      const counts: Record<string, number> = {};
      const said: Record<string, string> = {};
      let n = 0;
      for (const [links, each] of [[1, 300], [83, 250]] as const) {
        for (let l = 0; l < links; l++) {
          const conn = await connect(urls.directory);
          conns.push(conn);
          const directory = await conn.directory();
          for (let i = 0; i < each; i += 50) {
            await Promise.all(
              Array.from({ length: Math.min(50, each - i) }, () =>
                directory.register(`svc-${n++}`, ['tcp://127.0.0.1:1']).then(
                  () => void (counts.ok = (counts.ok ?? 0) + 1),
                  (error: Error) => {
                    said[error.name] ||= error.message.slice(0, 80);
                    counts[error.name] = (counts[error.name] ?? 0) + 1;
                  },
                ),
              ),
            );
          }
        }
      }
      const total = performance.now() - start;
      const reader = await connect(urls.gateway);
      const listStart = performance.now();
      const records = await reader.services().then(
        (list) => `${list.length.toLocaleString('en')} records`,
        (error: Error) => `FAILED, ${error.name} (“${error.message.slice(0, 110)}”)`,
      );
      const listMs = performance.now() - listStart;
      return {
        what: `${fmtCounts(counts)} (${Object.entries(said).map(([k, v]) => `${k}: “${v}”`).join('; ')}); a client's services() through the gateway then: ${records} in ${listMs.toFixed(0)} ms`,
        time: `${(total / 1000).toFixed(1)} s for all`,
        cleanup: async () => {
          await reader.close();
          for (const conn of conns) await conn.close();
        },
      };
    },
  },
  {
    key: 'long-names',
    name: '5f. three 6 MiB names registered straight to the directory',
    async run({ urls }) {
      const conn = await connect(urls.directory);
      const directory = await conn.directory();
      const results: string[] = [];
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        results.push(await directory.register(String(i).repeat(6 * MiB), ['tcp://127.0.0.1:1']).then(() => 'ok', (error: Error) => `${error.name} (“${error.message.slice(0, 70)}”)`));
        times.push(performance.now() - start);
      }
      const reader = await connect(urls.gateway);
      const records = await reader.services().then((list) => `${list.length} records`, (error: Error) => error.name);
      return {
        what: `${results.join(', ')}; a client's services() then: ${records}`,
        time: `${times.map((t) => t.toFixed(0)).join(', ')} ms per register (6 MiB sent each)`,
        cleanup: async () => {
          await reader.close();
          await conn.close();
        },
      };
    },
  },
  ...([4_096, 4_500] as const).map(
    (members): Attack => ({
      key: `meta-object-${members}`,
      name: `5f. a hostile service's meta-object: ${members.toLocaleString('en')} methods with 256-character names (${members === 4_096 ? 'the largest accepted' : 'over the limit'}), bound 20× through the gateway`,
      async run({ urls }) {
        const impl: Record<string, () => number> = {};
        for (let i = 0; i < members; i++) impl[`m${String(i).padStart(5, '0')}`.padEnd(256, 'x')] = () => i;
        const service = await createService('hostile', impl, { directory: urls.directory, listen: ['tcp://127.0.0.1:0'] });
        const conns: Connection[] = [];
        const times: number[] = [];
        const counts: Record<string, number> = {};
        let said = '';
        for (let i = 0; i < 20; i++) {
          const conn = await connect(urls.gateway);
          conns.push(conn);
          const start = performance.now();
          const kind = await Promise.race([
            conn.service('hostile').then(
              () => 'ok',
              (error: Error) => ((said ||= error.message.slice(0, 90)), error.name),
            ),
            sleep(5_000).then(() => 'no answer in 5 s'),
          ]);
          times.push(performance.now() - start);
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
        return {
          what: `binds: ${fmtCounts(counts)}${said ? ` (“${said}”)` : ''}`,
          time: `bind median ${median(times).toFixed(0)} ms, first ${times[0]!.toFixed(0)} ms`,
          cleanup: async () => {
            for (const conn of conns) await conn.close();
            await service.close();
          },
        };
      },
    }),
  ),
  {
    key: 'subscriptions',
    name: '5f. one link subscribed 4,200 times to the directory (2,100 bindings × serviceAdded, serviceRemoved) that never reads, while a service host registers and unregisters',
    async run({ urls, closes }) {
      const conn = await connect(urls.directory);
      const counts: Record<string, number> = {};
      let said = '';
      const start = performance.now();
      for (let i = 0; i < 2_100; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            const directory = await conn.service('ServiceDirectory');
            for (const signal of ['serviceAdded', 'serviceRemoved']) {
              await directory.on(signal, () => {}).then(
                () => void (counts.ok = (counts.ok ?? 0) + 1),
                (error: Error) => {
                  said ||= error.message.slice(0, 80);
                  counts[error.name] = (counts[error.name] ?? 0) + 1;
                },
              );
            }
          }),
        );
      }
      const subscribedMs = performance.now() - start;
      (conn.actor.getSnapshot().context as unknown as { session: { pause(): void } }).session.pause();
      const host = await connect(urls.directory);
      const hostDirectory = await host.directory();
      const churnStart = performance.now();
      let emissions = 0;
      let cut = '';
      while (performance.now() - churnStart < 30_000) {
        const id = await hostDirectory.register(`churn-${emissions}`, ['tcp://127.0.0.1:1']);
        await hostDirectory.unregister(id);
        emissions += 2;
        if (emissions % 20 === 0) {
          const now = await closes();
          const key = Object.keys(now).find((k) => k.startsWith('directory') && k.endsWith('LimitExceeded'));
          if (key) {
            cut = `${key} (“${now[key]!.first}”)`;
            break;
          }
        }
      }
      const churnMs = performance.now() - churnStart;
      return {
        what: `subscriptions: ${fmtCounts(counts)} (“${said}”) in ${(subscribedMs / 1000).toFixed(1)} s; then ${emissions} emissions: ${cut ? `cut off: ${cut}` : 'NOT cut off'}`,
        time: `${(churnMs / 1000).toFixed(1)} s of churn to the cut`,
        cleanup: async () => {
          await host.close();
          await conn.close().catch(() => {});
        },
      };
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',');
const chosen = attacks.filter((attack) => !only || only.some((key) => attack.key.startsWith(key)));
process.on('exit', stopAll);
// A hostile peer's own calls fail in every way: one left unhandled must not end the run (it is said, not hidden).
process.on('unhandledRejection', (error) => console.error(`# unhandled in the harness: ${(error as Error).name}: ${(error as Error).message}`));
const started = performance.now();
console.log(`# npm run attacks — ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('');
console.log('| attack | what happens now | time to that outcome | max event-loop stall | robot RSS MB before → peak → after | heap MB after gc before → peak → after | good client p50 before → during | load 1 min before/after |');
console.log('|---|---|---|---|---|---|---|---|');
for (const attack of chosen) console.log(await measure(attack));
console.log('');
console.log(`# ${chosen.length} attacks in ${((performance.now() - started) / 1000).toFixed(0)} s; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
process.exit(0);

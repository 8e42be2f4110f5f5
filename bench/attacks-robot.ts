/**
 * The robot side of bench/attacks.ts, in a process of its own so that what it measures is the victim's alone: a
 * ServiceDirectory, a `calc` service (add, echo, hold, chunk) and a Gateway, all on TCP loopback, the gateway on
 * ws:// too (its own port). `tsx bench/attacks-robot.ts '<json options>'` prints one JSON line with its URLs, then
 * answers the parent over IPC:
 *
 * - `{ cmd: 'begin' }`: collects garbage, answers `{ rss, heap }`, and from then on samples the event loop (the
 *   largest delay of a 1 ms interval, and monitorEventLoopDelay's max) and the peak RSS and heap used every 5 ms;
 * - `{ cmd: 'end' }`: stops sampling, answers `{ maxStallMs, eldMaxMs, peakRss, peakHeap }`;
 * - `{ cmd: 'mem' }`: collects garbage, answers `{ rss, heap, buffers }` (buffers: ArrayBuffer memory, off the heap);
 * - `{ cmd: 'release' }`: settles every pending `hold` call.
 *
 * The sources run through tsx (no build step), as the specs do.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createGateway, createService, createServiceDirectory, TcpTransport, TransportRegistry, WebSocketTransport } from '../lib/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));

const options = JSON.parse(process.argv[2] ?? '{}') as { upgradeTimeoutMs?: number };
const REPLY = new Uint8Array(64 << 10).fill(5);
const held: Array<() => void> = [];

const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'] });
const calc = await createService(
  'calc',
  {
    add: (a: number, b: number) => a + b,
    echo: (value: unknown) => value,
    /** Answers when the parent sends `release` (or after `ms`): a slow call. */
    hold: (ms: number) => new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(0), ms);
      held.push(() => {
        clearTimeout(timer);
        resolve(1);
      });
    }),
    chunk: () => REPLY,
  },
  { directory: directory.url, listen: ['tcp://127.0.0.1:0'] },
);
const transports = new TransportRegistry([new TcpTransport(), new WebSocketTransport({ upgradeTimeoutMs: options.upgradeTimeoutMs })]);
const gateway = await createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/'], transports });

/** Every accepted link that closed since `begin`, by which side and why: counts, and the first message of each. */
type SessionSet = Iterable<{ onClosed(listener: (reason: { code: string; message: string }) => void): unknown }>;
const hosts: Array<[string, () => SessionSet]> = [
  ['gateway', () => gateway.actor.getSnapshot().context.runtime.links.sessions],
  ['service', () => calc.actor.getSnapshot().context.host.links.sessions],
  ['directory', () => (directory.actor.getSnapshot().context as unknown as { host: { links: { sessions: SessionSet } } }).host.links.sessions],
];
const seen = new WeakSet<object>();
let closes: Record<string, { count: number; first: string }> = {};
setInterval(() => {
  for (const [who, sessions] of hosts) {
    for (const session of sessions()) {
      if (seen.has(session)) continue;
      seen.add(session);
      session.onClosed((reason) => {
        const key = `${who} ${reason.code}`;
        closes[key] ??= { count: 0, first: reason.message.slice(0, 140) };
        closes[key].count++;
      });
    }
  }
}, 2).unref();

let sampler: { stop(): { maxStallMs: number; eldMaxMs: number; peakRss: number; peakHeap: number; closes: typeof closes } } | undefined;

function memory(): { rss: number; heap: number; buffers: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed, buffers: usage.arrayBuffers };
}

function startSampling(): NonNullable<typeof sampler> {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  let last = performance.now();
  let maxStallMs = 0;
  let peakRss = 0;
  let peakHeap = 0;
  let ticks = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last - 1);
    last = now;
    if (++ticks % 5 === 0) {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    }
  }, 1);
  closes = {};
  return {
    stop() {
      clearInterval(tick);
      eld.disable();
      const usage = process.memoryUsage();
      return { maxStallMs, eldMaxMs: eld.max / 1e6, peakRss: Math.max(peakRss, usage.rss), peakHeap: Math.max(peakHeap, usage.heapUsed), closes };
    },
  };
}

process.on('message', (message: { cmd: string }) => {
  const answer = (value: unknown): void => void process.send?.(value);
  switch (message.cmd) {
    case 'begin': {
      const before = memory();
      sampler = startSampling();
      answer(before);
      break;
    }
    case 'end':
      answer(sampler?.stop());
      sampler = undefined;
      break;
    case 'closes':
      answer(closes);
      break;
    case 'mem':
      answer(memory());
      break;
    case 'release':
      for (const release of held.splice(0)) release();
      answer({ released: true });
      break;
  }
});

console.log(JSON.stringify({ directory: directory.url, service: calc.endpoints[0], gateway: gateway.endpoints[0], ws: gateway.endpoints[1] }));

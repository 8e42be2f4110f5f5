/**
 * One process of the slow-consumer measurement (bench/slow-consumer/run.ts): `tsx role.ts <role> [arg]`. The
 * library is the compiled one under $QIM_ROOT/dist (default: this checkout), so that a build of another commit
 * can be measured the same way. Each role prints JSON lines on stdout; the first says where it listens.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Library from '../../lib/index.js';

const root = process.env.QIM_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { connect, createGateway, createService, createServiceDirectory } = (await import(pathToFileURL(path.join(root, 'dist/lib/index.js')).href)) as typeof Library;

const REPLY = new Uint8Array(64 << 10).fill(5);
const [role, arg] = process.argv.slice(2);
process.on('SIGTERM', () => process.exit(0));
// The parent stops reading when it is done: a line written after that must not crash the process.
process.stdout.on('error', () => process.exit(0));
const say = (what: Record<string, unknown>): void => console.log(JSON.stringify(what));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Each second, how many accepted links closed with LimitExceeded (slow consumers cut off) and the most buffered. */
function reportCuts(sessions: () => Iterable<{ bufferedBytes: number; onClosed(listener: (reason: { code: string }) => void): unknown }>): void {
  const seen = new WeakSet<object>();
  let cuts = 0;
  let peak = 0;
  setInterval(() => {
    for (const session of sessions()) {
      peak = Math.max(peak, session.bufferedBytes ?? 0); // undefined in builds before it existed
      if (seen.has(session)) continue;
      seen.add(session);
      session.onClosed((reason) => reason.code === 'LimitExceeded' && cuts++);
    }
  }, 20);
  setInterval(() => {
    say({ cuts, peakBufferedMb: Math.round(peak / 2 ** 20) });
    peak = 0;
  }, 1_000);
}

switch (role) {
  case 'service': {
    const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'] });
    const bulk = await createService('bulk', { chunk: () => REPLY }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    say({ directory: directory.url, service: bulk.endpoints[0] });
    reportCuts(() => bulk.actor.getSnapshot().context.host.links.sessions);
    break;
  }
  case 'gateway': {
    const gateway = await createGateway({ directory: arg!, listen: ['tcp://127.0.0.1:0'] });
    say({ gateway: gateway.url });
    reportCuts(() => gateway.actor.getSnapshot().context.runtime.links.sessions);
    break;
  }
  case 'good': {
    // One call every 10 ms; each second, the latencies of that second (a call past 2 s counts as timed out).
    const connection = await connect(arg!);
    const bulk = (await connection.service('bulk')).with({ timeout: 2_000 });
    say({ ready: true });
    let latencies: number[] = [];
    let timeouts = 0;
    let errors = 0;
    setInterval(() => {
      const sorted = latencies.sort((a, b) => a - b);
      const at = (q: number): number | null => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : null);
      say({ t: Date.now(), calls: sorted.length, p50: at(0.5), p99: at(0.99), timeouts, errors });
      latencies = [];
      timeouts = 0;
      errors = 0;
    }, 1_000);
    for (;;) {
      const start = performance.now();
      void bulk.call('chunk').then(
        () => latencies.push(performance.now() - start),
        (err: { code?: string }) => (err.code === 'Timeout' ? timeouts++ : errors++),
      );
      await sleep(10);
    }
  }
  case 'slow': {
    // Calls and never reads its socket: one connection, topped up to 100,000 calls outstanding (its own
    // maxPendingCalls) every 10 ms. It never learns it was cut off: it does not read.
    const connection = await connect(arg!);
    const bulk = await connection.service('bulk');
    connection.actor.getSnapshot().context.session.pause();
    let sent = 0;
    let outstanding = 0;
    setInterval(() => say({ t: Date.now(), connections: 1, sent }), 1_000);
    for (;;) {
      for (; outstanding < 100_000; outstanding++, sent++) {
        void bulk.call('chunk').then(
          () => outstanding--,
          () => outstanding--,
        );
      }
      await sleep(10);
    }
  }
  default:
    console.error(`unknown role ${role}`);
    process.exitCode = 1;
}

/**
 * Rows about failure, from issue 11:
 *
 * - slow-consumer-isolation: the p50 of a client calling a service through the gateway (a 64 KiB reply every
 *   10 ms) while another client of the same service calls and never reads its socket, against the same client's
 *   p50 alone. Each pair runs "alone" then "with a slow client" (a fresh slow process, killed after). Target ≤ 2×.
 *   The processes are bench/slow-consumer/role.ts's.
 * - reconnect: after the gateway process is killed and started again on its port, the time from the new gateway
 *   being ready to the first successful call of an old ServiceClient (it reconnects and binds again by itself),
 *   against a fresh connect + bind + call started at the same moment. Reported: the old client waits for its
 *   backoff timer (100 ms doubling, ±20%), so its figure is bounded by the delay it reached while the gateway was
 *   down, not by the work of binding again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { connect } from '../library.js';
import { median, pairedBy, pairedRow, type Row } from '../measure.js';
import { startRole, startWorker } from '../processes.js';
import { freePort } from '../../spec/free-port.js';

const ROLE = 'bench/slow-consumer/role.ts';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function slowConsumerIsolation(quick: boolean, pairs: number): Promise<Row> {
  const { ready: service } = await startWorker<{ directory: string }>(ROLE, 'service');
  const { ready: gateway } = await startWorker<{ gateway: string }>(ROLE, 'gateway', service.directory);
  const goodProcess = spawnRole('good', gateway.gateway);
  const good = lines(goodProcess);
  await good.next(); // ready
  const seconds = quick ? 2 : 3;
  /** The median of the good client's per-second p50s over the next `seconds` seconds. */
  const goodP50 = async (): Promise<number> => {
    const p50s: number[] = [];
    for (let i = 0; i < seconds; i++) {
      const { p50 } = JSON.parse((await good.next()).value as string) as { p50: number | null };
      if (p50 !== null) p50s.push(p50);
    }
    return median(p50s) * 1_000;
  };
  // The good client is ours to stop: its stdout pipe would keep the bench process alive.
  const result = await measureIsolation(good, goodP50, gateway.gateway, pairs).finally(() => goodProcess.kill('SIGKILL'));
  return pairedRow('slow-consumer-isolation: p50', 'µs', result.p50, { atMost: 2 }, 'a good client beside one that calls and never reads, through the gateway; baseline: the good client alone');
}

function measureIsolation(good: AsyncIterator<string>, goodP50: () => Promise<number>, gateway: string, pairs: number) {
  return pairedBy(
    async () => {
      await good.next(); // a whole second of its own before measuring
      return { p50: await goodP50() };
    },
    async () => {
      const slow = spawnRole('slow', gateway);
      try {
        await good.next(); // let it fill its window
        return { p50: await goodP50() };
      } finally {
        slow.kill('SIGKILL');
        await once(slow, 'exit');
      }
    },
    pairs,
  );
}

export async function reconnect(quick: boolean, pairs: number): Promise<Row> {
  const { directory } = await startRole<{ directory: string }>('service');
  const port = await freePort();
  let gateway = (await startWorker<{ gateway: string }>('bench/role.ts', 'gateway', directory, String(port))).child;
  const url = `tcp://127.0.0.1:${port}`;
  const old = await connect(url);
  const echo = await old.service('echo');
  await echo.call('echo', 1);
  const measure = async (): Promise<{ old: number; fresh: number }> => {
    gateway.kill('SIGKILL');
    await once(gateway, 'exit');
    gateway = (await startWorker<{ gateway: string }>('bench/role.ts', 'gateway', directory, String(port))).child;
    const ready = performance.now();
    const oldCall = echo.with({ timeout: 10_000 }).call('echo', 2).then(() => performance.now() - ready);
    const freshCall = (async () => {
      const fresh = await connect(url);
      await (await fresh.service('echo')).call('echo', 3);
      const ms = performance.now() - ready;
      await fresh.close();
      return ms;
    })();
    const [oldMs, freshMs] = await Promise.all([oldCall, freshCall]);
    await sleep(quick ? 100 : 300);
    return { old: oldMs, fresh: freshMs };
  };
  const result = await pairedBy(
    async () => ({ ms: (await measure()).fresh }),
    async () => ({ ms: (await measure()).old }),
    pairs,
  );
  await old.close();
  gateway.kill();
  return pairedRow('reconnect: first call after a gateway restart', 'ms', result.ms, undefined, `old ServiceClient (rebinds by itself, after its backoff delay) vs a fresh connect + bind + call; ours ${result.ms.ours.toFixed(0)} ms; reported, no target`);
}

function spawnRole(role: string, ...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ROLE, role, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  return child;
}

function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}


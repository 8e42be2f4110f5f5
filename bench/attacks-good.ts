/**
 * The good client of bench/attacks.ts, in a process of its own: `tsx bench/attacks-good.ts <gateway url>`. It
 * calls `calc.add(i, 1)` through the gateway, one call in flight, one every 2 ms, and checks each answer (a wrong
 * sum, a rejection or a call past 2 s is an error). With `{ cmd: 'rebind', on: true }` every call is made on a
 * fresh binding (bind, echo a value of its own, check it, close), the victim of the stray-reply attack.
 * `{ cmd: 'window' }` answers what it saw since the last window: `{ calls, p50, p99, max, errors, kinds }` (ms).
 */
import { connect } from '../lib/index.js';

process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const connection = await connect(process.argv[2]!);
const calc = (await connection.service('calc')).with({ timeout: 2_000 });
let rebind = false;
let latencies: number[] = [];
let errors = 0;
let kinds: Record<string, number> = {};
const fail = (kind: string): void => {
  errors++;
  kinds[kind] = (kinds[kind] ?? 0) + 1;
};

process.on('message', (message: { cmd: string; on?: boolean }) => {
  if (message.cmd === 'rebind') {
    rebind = message.on === true;
    process.send?.({ rebind });
  } else if (message.cmd === 'window') {
    const sorted = latencies.sort((a, b) => a - b);
    const at = (q: number): number | null => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : null);
    process.send?.({ calls: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? null, errors, kinds });
    latencies = [];
    errors = 0;
    kinds = {};
  }
});
console.log(JSON.stringify({ ready: true }));

for (let i = 0; ; i++) {
  const start = performance.now();
  try {
    if (rebind) {
      const fresh = (await connection.service('calc')).with({ timeout: 2_000 });
      const mine = { victim: i, pad: 'v'.repeat(16) };
      const back = (await fresh.call('echo', mine)) as typeof mine;
      await fresh.close();
      if (back?.victim !== i) fail('wrong answer');
    } else if ((await calc.call('add', i, 1)) !== i + 1) fail('wrong answer');
    latencies.push(performance.now() - start);
  } catch (error) {
    fail((error as Error).name);
  }
  await sleep(2);
}

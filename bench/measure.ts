/** How the scenarios measure: the same code times ours and the baseline. */

export interface Caller {
  call(): Promise<unknown>;
}

/** Per-call latency with one call in flight: p50 and p99 in µs. */
export async function latency(caller: Caller, count: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(200, count); i++) await caller.call();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await caller.call();
    samples.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(count * 0.5)]!, p99: samples[Math.floor(count * 0.99)]! };
}

/**
 * Calls per second with `window` calls in flight, after a warm-up of a fifth of the run (at least 2,000 calls):
 * long enough that the JIT has compiled the hot path of whichever side runs first, ours or the baseline.
 */
export async function throughput(caller: Caller, total: number, window: number): Promise<number> {
  await run(caller, Math.min(total, Math.max(2_000, Math.round(total / 5))), window);
  const started = process.hrtime.bigint();
  await run(caller, total, window);
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function run(caller: Caller, total: number, window: number): Promise<void> {
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      await caller.call();
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, total) }, worker));
}

/** A result row: `ours` against a baseline measured in the same run. */
export interface Row {
  scenario: string;
  unit: string;
  ours: number;
  baseline: number;
  /** ours / baseline. */
  ratio: number;
  /** What the ratio must be, e.g. '>= 0.5' or '<= 1.3'. */
  target: string;
  pass: boolean;
  note?: string;
}

export function row(scenario: string, unit: string, ours: number, baseline: number, target: { atLeast?: number; atMost?: number }, note?: string): Row {
  const ratio = ours / baseline;
  const pass = (target.atLeast === undefined || ratio >= target.atLeast) && (target.atMost === undefined || ratio <= target.atMost);
  const text = target.atLeast !== undefined ? `>= ${target.atLeast}` : `<= ${target.atMost}`;
  return { scenario, unit, ours, baseline, ratio, target: text, pass, ...(note ? { note } : {}) };
}

/** How the scenarios measure: the same code times ours and the baseline, in alternating pairs. */

export interface Caller {
  call(): Promise<unknown>;
}

/** Per-call latency with one call in flight: p50 and p99 in µs, after `warmup` calls. */
export async function latency(caller: Caller, count: number, warmup = Math.min(200, count)): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < warmup; i++) await caller.call();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await caller.call();
    samples.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/**
 * Calls per second with `window` calls in flight. By default after a warm-up of a fifth of the run (at least 2,000
 * calls), long enough that the JIT has compiled the hot path of whichever side runs first; paired rows warm up with
 * a whole pair instead (see `paired`) and pass a short `warmup` that only refills the pipeline.
 */
export async function throughput(caller: Caller, total: number, window: number, warmup = Math.min(total, Math.max(2_000, Math.round(total / 5)))): Promise<number> {
  if (warmup > 0) await run(caller, warmup, window);
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

/** The `q` quantile (0–1) of `samples`, nearest rank; sorts a copy. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** The median of `samples` (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** What `paired` found for one figure. */
export interface Pairs {
  /** Median of the per-pair ratios ours / baseline. */
  ratio: number;
  /** Smallest and largest per-pair ratio. */
  min: number;
  max: number;
  /** Median of each side's figures. */
  ours: number;
  baseline: number;
  /** Every pair, in order (the warm-up pairs left out). */
  samples: Array<{ baseline: number; ours: number; ratio: number }>;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Measures baseline and ours in turn on the same, already running topology: `warmupPairs` warm-up pairs (one by
 * default; discarded: the JIT of both sides, the sockets' buffers, the children's heaps), then `pairs` pairs
 * A B A B …. Each pair gives a ratio
 * ours / baseline; the row reports the median ratio and its min–max, so one lucky or unlucky run decides nothing.
 * Before each measurement the bench process collects its garbage (with --expose-gc), so that one side's garbage is
 * not collected on the other side's clock.
 *
 * `pairedBy` is the general form, for measurements that give several figures at once (latency's p50 and p99):
 * each figure gets its own ratios, from the same runs.
 */
export async function pairedBy<K extends string>(
  baseline: () => Promise<Record<K, number>>,
  ours: () => Promise<Record<K, number>>,
  pairs: number,
  warmupPairs = 1,
): Promise<Record<K, Pairs>> {
  for (let i = 0; i < warmupPairs; i++) {
    gc?.();
    await baseline();
    gc?.();
    await ours();
  }
  const runs: Array<{ baseline: Record<K, number>; ours: Record<K, number> }> = [];
  for (let i = 0; i < pairs; i++) {
    gc?.();
    const b = await baseline();
    gc?.();
    const o = await ours();
    runs.push({ baseline: b, ours: o });
  }
  const result = {} as Record<K, Pairs>;
  for (const key of Object.keys(runs[0]!.baseline) as K[]) result[key] = summarise(runs.map((r) => ({ baseline: r.baseline[key], ours: r.ours[key] })));
  return result;
}

/** `pairedBy` for a measurement that gives one figure. */
export async function paired(baseline: () => Promise<number>, ours: () => Promise<number>, pairs: number, warmupPairs = 1): Promise<Pairs> {
  const { value } = await pairedBy(
    async () => ({ value: await baseline() }),
    async () => ({ value: await ours() }),
    pairs,
    warmupPairs,
  );
  return value;
}

/** The median ratio, its spread and each side's median, from per-pair figures. */
export function summarise(runs: ReadonlyArray<{ baseline: number; ours: number }>): Pairs {
  const samples = runs.map((r) => ({ ...r, ratio: r.ours / r.baseline }));
  const ratios = samples.map((s) => s.ratio);
  return {
    ratio: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    ours: median(samples.map((s) => s.ours)),
    baseline: median(samples.map((s) => s.baseline)),
    samples,
  };
}

export type Verdict = 'pass' | 'short' | 'straddles';

/** What the ratio must be: at least or at most a value. No target: the row is reported only. */
export interface Target {
  atLeast?: number;
  atMost?: number;
}

/** A result row: `ours` against a baseline measured in the same run. */
export interface Row {
  scenario: string;
  unit: string;
  ours: number;
  /** Absent for a figure reported on its own. */
  baseline?: number;
  /** ours / baseline (the median of the pairs' ratios for a paired row). */
  ratio?: number;
  /** A paired row's min–max of the per-pair ratios, and how many pairs. */
  spread?: { min: number; max: number; pairs: number };
  /** A paired row's pairs in the order measured (in latest.json only): which side swung when the spread is wide. */
  samples?: Array<{ baseline: number; ours: number }>;
  /** What the ratio must be, e.g. '>= 0.5' or '<= 1.3'; absent when the row is reported without a target. */
  target?: string;
  /**
   * 'pass' when the target holds for the whole spread (for the one figure of an unpaired row); 'short' when it
   * holds nowhere; 'straddles' when the spread reaches both sides of the target: then the run's luck decides,
   * whichever side the median fell on. Absent without a target.
   */
  verdict?: Verdict;
  note?: string;
  /** The 1-minute load average when the row's group was done. */
  load?: number;
  /** Cores other processes kept busy, on average, while the row's group ran (bench/load.ts). */
  othersCores?: number;
}

/** `target` as text: '>= 0.5', '<= 1.3'. */
export function targetText(target: Target): string {
  return target.atLeast !== undefined ? `>= ${target.atLeast}` : `<= ${target.atMost}`;
}

function holds(value: number, target: Target): boolean {
  return (target.atLeast === undefined || value >= target.atLeast) && (target.atMost === undefined || value <= target.atMost);
}

/** The verdict of a ratio with an optional spread against `target`. */
export function verdict(ratio: number, target: Target, spread?: { min: number; max: number }): Verdict {
  if (!spread) return holds(ratio, target) ? 'pass' : 'short';
  const low = holds(spread.min, target);
  const high = holds(spread.max, target);
  if (low && high && holds(ratio, target)) return 'pass';
  if (!low && !high && !holds(ratio, target)) return 'short';
  return 'straddles';
}

/** A row from one measurement of each side (rows that are not repeated: heap, bind times). */
export function row(scenario: string, unit: string, ours: number, baseline: number, target: Target | undefined, note?: string): Row {
  const ratio = ours / baseline;
  return {
    scenario,
    unit,
    ours,
    baseline,
    ratio,
    ...(target ? { target: targetText(target), verdict: verdict(ratio, target) } : {}),
    ...(note ? { note } : {}),
  };
}

/** A row from `paired`: the sides' medians, the median ratio and its spread. */
export function pairedRow(scenario: string, unit: string, pairs: Pairs, target: Target | undefined, note?: string): Row {
  const spread = { min: pairs.min, max: pairs.max };
  return {
    scenario,
    unit,
    ours: pairs.ours,
    baseline: pairs.baseline,
    ratio: pairs.ratio,
    spread: { ...spread, pairs: pairs.samples.length },
    samples: pairs.samples.map(({ baseline, ours }) => ({ baseline, ours })),
    ...(target ? { target: targetText(target), verdict: verdict(pairs.ratio, target, spread) } : {}),
    ...(note ? { note } : {}),
  };
}

/** A figure reported on its own, no baseline and no target (e.g. heap per binding counting all sides). */
export function reported(scenario: string, unit: string, ours: number, note?: string): Row {
  return { scenario, unit, ours, ...(note ? { note } : {}) };
}

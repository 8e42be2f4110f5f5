/**
 * The harness of bench/attacks.ts: per attack a fresh robot process and a good client beside it, the robot's
 * stall, memory and closed links, and the good client's p50 before and during; one markdown row per attack.
 */
import { once } from 'node:events';
import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { startWorker, stopAll } from '../processes.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const MiB = 1 << 20;

export interface Urls {
  directory: string;
  service: string;
  gateway: string;
  ws: string;
}

export interface Outcome {
  /** What happened: refused/closed with which error, or bounded at which limit. */
  what: string;
  /** Time to that outcome, as text. */
  time: string;
  /** Called after the robot's `end`, before its memory is taken again. */
  cleanup?: () => Promise<void> | void;
}

export interface Ctx {
  urls: Urls;
  robot: ChildProcess;
  good: ChildProcess;
  /** What the robot closed so far, by side and code. */
  closes(): Promise<Closes>;
}

export type Closes = Record<string, { count: number; first: string }>;

export interface Attack {
  key: string;
  name: string;
  robot?: { upgradeTimeoutMs?: number };
  run(ctx: Ctx): Promise<Outcome>;
}

export function ask<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T));
    child.send(message);
  });
}

export interface Window {
  calls: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  errors: number;
  kinds: Record<string, number>;
}

export const mb = (bytes: number): string => (bytes / MiB).toFixed(0);
export const ms = (value: number | null): string => (value === null ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(0));
export const describeCloses = (closes: Closes): string =>
  Object.entries(closes)
    .map(([key, { count, first }]) => `${key} ×${count} (“${first}”)`)
    .join('; ');

export async function measure(attack: Attack): Promise<string> {
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
export async function phase(robot: ChildProcess): Promise<{ maxStallMs: number }> {
  const sample = await ask<{ maxStallMs: number }>(robot, { cmd: 'end' });
  await ask(robot, { cmd: 'begin' });
  return sample;
}

/** What a call came to: 'ok' for a value, else its error's name (handled at once: no unhandled rejection). */
export const kindOf = (call: Promise<unknown>): Promise<string> => call.then(() => 'ok', (error: Error) => error.name);

/** Counts outcomes by kind. */
export async function tally(kinds: Array<Promise<string>>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const kind of await Promise.all(kinds)) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

export const fmtCounts = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([kind, n]) => `${n.toLocaleString('en')} ${kind}`)
    .join(', ');

/** Runs `one` over and over for `ms`, sequentially; the times it took. */
export async function repeatFor(ms: number, one: () => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) times.push(await one());
  return times;
}


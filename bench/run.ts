/**
 * `npm run bench` runs every scenario; `npm run bench -- --quick` is a short smoke run (CI runs it);
 * `npm run bench -- --only tcp|moleculer|memory|fanout|bindings` runs one group. Every figure is compared with a baseline
 * measured in the same run, in alternating pairs on the same topology, because these machines are shared and noisy.
 * Prints a table, writes bench/results/latest.json and bench/results/latest.svg. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Row } from './measure.js';
import { stopAll } from './processes.js';
import { chart, formatTable } from './report.js';
import { bindingsScale } from './scenarios/bindings.js';
import { memoryThroughput, signalFanout } from './scenarios/in-process.js';
import { peerMoleculer } from './scenarios/peer-moleculer.js';
import { tcpScenarios } from './scenarios/tcp.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick;
const wanted = (group: string): boolean => values.only === undefined || values.only === group;
/** Pairs per paired row, after the warm-up pair: at least 5 for a full run; the quick run is a smoke test. */
const pairs = quick ? 3 : 5;

const cores = os.availableParallelism();
const loadBefore = os.loadavg();
// The 1-minute load average, every 5 s: a busy machine during the run is worth a warning even if it calmed down.
let maxLoad = loadBefore[0]!;
const sampler = setInterval(() => (maxLoad = Math.max(maxLoad, os.loadavg()[0]!)), 5_000).unref();

const rows: Row[] = [];
const add = (...done: Row[]): void => {
  const load = os.loadavg()[0]!;
  maxLoad = Math.max(maxLoad, load);
  for (const r of done) rows.push({ ...r, load: Number(load.toFixed(2)) });
};
const started = Date.now();
try {
  if (wanted('tcp')) add(...(await tcpScenarios(quick, pairs)));
  if (wanted('moleculer')) add(await peerMoleculer(quick, pairs));
  if (wanted('memory')) add(await memoryThroughput(quick, pairs));
  if (wanted('fanout')) add(await signalFanout(quick, pairs));
  if (wanted('bindings')) add(...(await bindingsScale(quick)));
} finally {
  stopAll();
  clearInterval(sampler);
}
const seconds = (Date.now() - started) / 1000;
const loadAfter = os.loadavg();
maxLoad = Math.max(maxLoad, loadAfter[0]!);

console.log(formatTable(rows));
const judged = rows.filter((r) => r.verdict);
const count = (v: string): number => judged.filter((r) => r.verdict === v).length;
console.log(
  `${count('pass')} of ${judged.length} rows with a target pass, ${count('straddles')} straddle, ${count('short')} short` +
    ` (${pairs} pairs per paired row${quick ? '; quick run: indicative only' : ''}); ${seconds.toFixed(0)} s`,
);
const fixed = (load: number[]): string => load.map((l) => l.toFixed(2)).join(' ');
console.log(`load average (1, 5, 15 min) before: ${fixed(loadBefore)}, after: ${fixed(loadAfter)}, 1-min max during the run: ${maxLoad.toFixed(2)}; ${cores} cores`);
const busy = maxLoad > cores;
if (busy) console.log(`WARNING: the 1-minute load average reached ${maxLoad.toFixed(2)}, above the ${cores} cores: something else ran; the figures are suspect.`);

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores,
  quick,
  pairs,
  seconds: Math.round(seconds),
  load: { before: loadBefore.map((l) => Number(l.toFixed(2))), after: loadAfter.map((l) => Number(l.toFixed(2))), max1: Number(maxLoad.toFixed(2)), busy },
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
writeFileSync('bench/results/latest.svg', chart(rows, meta));

/**
 * `npm run bench` runs every scenario; `npm run bench -- --quick` is a short smoke run (CI runs it);
 * `npm run bench -- --only tcp|moleculer|memory|fanout|bindings` runs one group. Every figure is compared with a baseline
 * measured in the same run, because these machines are shared and noisy. Prints a table and writes
 * bench/results/latest.json. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Row } from './measure.js';
import { stopAll } from './processes.js';
import { bindingsScale } from './scenarios/bindings.js';
import { memoryThroughput, signalFanout } from './scenarios/in-process.js';
import { peerMoleculer } from './scenarios/peer-moleculer.js';
import { tcpScenarios } from './scenarios/tcp.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick;
const wanted = (group: string): boolean => values.only === undefined || values.only === group;

const rows: Row[] = [];
const started = Date.now();
try {
  let rawRelayRate: number | undefined;
  if (wanted('tcp') || wanted('memory')) {
    const tcp = await tcpScenarios(quick);
    rawRelayRate = tcp.rawRelayRate;
    if (wanted('tcp')) rows.push(...tcp.rows);
  }
  if (wanted('moleculer')) rows.push(await peerMoleculer(quick));
  if (wanted('memory')) rows.push(await memoryThroughput(quick, rawRelayRate!));
  if (wanted('fanout')) rows.push(await signalFanout(quick));
  if (wanted('bindings')) rows.push(...(await bindingsScale(quick)));
} finally {
  stopAll();
}

const format = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));
console.table(
  rows.map((r) => ({
    scenario: r.scenario,
    ours: `${format(r.ours)} ${r.unit}`,
    baseline: `${format(r.baseline)} ${r.unit}`,
    ratio: r.ratio.toFixed(2),
    target: r.target,
    result: r.pass ? 'pass' : 'short',
    note: r.note ?? '',
  })),
);
const passed = rows.filter((r) => r.pass).length;
console.log(`${passed} of ${rows.length} rows pass${quick ? ' (quick run: indicative only)' : ''}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/latest.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, quick, rows }, null, 2)}\n`,
);

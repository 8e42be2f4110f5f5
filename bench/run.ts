/**
 * `npm run bench` runs every scenario; `npm run bench -- --quick` is a short smoke run (CI runs it);
 * `npm run bench -- --only tcp|ws|many|cold|moleculer|memory|fanout|bindings|nats|libqi|resilience` runs one group (or several, comma-separated: `--only tcp,memory`). Every figure is compared with a baseline
 * measured in the same run, in alternating pairs on the same topology, because these machines are shared and noisy.
 * Prints a table, writes bench/results/latest.json and bench/results/latest.svg. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Row } from './measure.js';
import { cpuBetween, cpuSnapshot } from './load.js';
import { stopAll } from './processes.js';
import { STALL_WARNING_MS, StallMonitor } from './stalls.js';
import { chart, formatTable } from './report.js';
import { bindingsScale } from './scenarios/bindings.js';
import { coldStartRow } from './scenarios/cold-start.js';
import { memoryThroughput, signalFanout } from './scenarios/in-process.js';
import { manyConnections } from './scenarios/many-connections.js';
import { natsScenarios } from './scenarios/nats.js';
import { natsServerMissing } from '../spec/nats-server.js';
import { natsDirectory, natsGatewayAndPayloads } from './scenarios/nats-more.js';
import { libqiScenarios } from './scenarios/libqi.js';
import { peerMoleculer } from './scenarios/peer-moleculer.js';
import { reconnect, slowConsumerIsolation } from './scenarios/resilience.js';
import { tcpScenarios } from './scenarios/tcp.js';
import { wsGatewayThroughput } from './scenarios/ws.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick;
const wanted = (group: string): boolean => values.only === undefined || values.only.split(',').includes(group);
/** Pairs per paired row, after the warm-up pair: at least 5 for a full run; the quick run is a smoke test. */
const pairs = quick ? 3 : 5;

const cores = os.availableParallelism();
/** Other processes keeping more than this many cores busy during a group make its rows suspect. */
const BUSY_CORES = 0.5;
const loadBefore = os.loadavg();
// The 1-minute load average, every 5 s. It counts the bench's own busy processes too; bench/load.ts tells them apart.
let maxLoad = loadBefore[0]!;
const sampler = setInterval(() => (maxLoad = Math.max(maxLoad, os.loadavg()[0]!)), 5_000).unref();
const cpuAtStart = cpuSnapshot();
let cpuMark = cpuAtStart;
let busyRows = 0;

const rows: Row[] = [];
/** Adds a group's rows with the load average at its end and the CPU other processes used while it ran. */
/** Seconds each group took, to keep the full run under 10 minutes (issue 11). */
const groupSeconds: Record<string, number> = {};
/** The bench process's longest event-loop stall in each group, in ms (bench/stalls.ts). */
const groupStallMs: Record<string, number> = {};
const stalls = new StallMonitor();
let groupStarted = Date.now();
const add = (group: string, ...done: Row[]): void => {
  groupSeconds[group] = Math.round((groupSeconds[group] ?? 0) + (Date.now() - groupStarted) / 1000);
  groupStarted = Date.now();
  const load = os.loadavg()[0]!;
  maxLoad = Math.max(maxLoad, load);
  const now = cpuSnapshot();
  const cpu = cpuBetween(cpuMark, now);
  cpuMark = now;
  const busy = cpu !== undefined && cpu.othersCores > BUSY_CORES;
  if (busy) busyRows += done.length;
  for (const r of done) {
    const warning = busy ? `BUSY: other processes used ${cpu.othersCores.toFixed(2)} cores` : '';
    rows.push({
      ...r,
      load: Number(load.toFixed(2)),
      ...(cpu ? { othersCores: Number(cpu.othersCores.toFixed(2)) } : {}),
      ...(busy ? { note: r.note ? `${warning}; ${r.note}` : warning } : {}),
    });
  }
};
const started = Date.now();
let cpuAtEnd: ReturnType<typeof cpuSnapshot>;
/**
 * Runs one group's scenarios. A group that fails (a call of a row rejected: once, a link to a child process was lost
 * in the middle of the nats group) is reported and the run goes on, so the other groups' figures are not lost with
 * it; the run then exits with status 1.
 */
const failedGroups: string[] = [];
async function group(name: string, scenarios: () => Promise<Row[]>): Promise<void> {
  if (!wanted(name)) return;
  stalls.takeLongestMs();
  try {
    add(name, ...(await scenarios()));
  } catch (err) {
    failedGroups.push(name);
    groupStarted = Date.now();
    console.error(`error: the ${name} group failed, its rows are missing: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    groupStallMs[name] = Math.round(stalls.takeLongestMs());
  }
}
try {
  await group('tcp', () => tcpScenarios(quick, pairs));
  await group('ws', async () => [await wsGatewayThroughput(quick, pairs)]);
  await group('many', () => manyConnections(quick, pairs));
  await group('cold', () => coldStartRow(quick, pairs));
  await group('moleculer', async () => [await peerMoleculer(quick, pairs)]);
  await group('memory', async () => [await memoryThroughput(quick, pairs)]);
  await group('fanout', async () => [await signalFanout(quick, pairs)]);
  await group('bindings', () => bindingsScale(quick));
  await group('nats', async () => [
    ...(await natsScenarios(quick, pairs)),
    ...(natsServerMissing() ? [] : [...(await natsGatewayAndPayloads(quick, pairs)), ...(await natsDirectory(quick, pairs))]),
  ]);
  await group('libqi', () => libqiScenarios(quick, pairs));
  await group('resilience', async () => [await slowConsumerIsolation(quick, pairs), await reconnect(quick, pairs)]);
} finally {
  // Before the children go: a child killed but not yet reaped counts for nothing.
  cpuAtEnd = cpuSnapshot();
  stopAll();
  stalls.stop();
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
console.log(`seconds per group: ${Object.entries(groupSeconds).map(([name, s]) => `${name} ${s}`).join(', ')}`);
console.log(`longest event-loop stall of the bench process per group, ms: ${Object.entries(groupStallMs).map(([name, ms]) => `${name} ${ms}`).join(', ')}`);
if (failedGroups.length > 0) {
  console.log(`ERROR: ${failedGroups.length} group(s) failed, their rows are missing: ${failedGroups.join(', ')} (the error is above)`);
  const stalled = failedGroups.filter((name) => (groupStallMs[name] ?? 0) > STALL_WARNING_MS);
  if (stalled.length > 0) console.log(`The bench process stalled for over ${STALL_WARNING_MS} ms in ${stalled.join(', ')}: long enough for a child's heartbeat to drop its link (bench/stalls.ts).`);
  process.exitCode = 1;
}
const fixed = (load: number[]): string => load.map((l) => l.toFixed(2)).join(' ');
const cpu = cpuBetween(cpuAtStart, cpuAtEnd);
const cpuText = cpu ? `; the bench kept ${cpu.benchCores.toFixed(2)} cores busy on average, other processes ${cpu.othersCores.toFixed(2)}` : '';
console.log(`load average (1, 5, 15 min) before: ${fixed(loadBefore)}, after: ${fixed(loadAfter)}, 1-min max during the run: ${maxLoad.toFixed(2)}; ${cores} cores${cpuText}`);
// The load average alone cannot say: the bench's own processes push it past the core count on a quiet machine.
const busy = loadBefore[0]! > cores || (cpu !== undefined && cpu.othersCores > BUSY_CORES) || busyRows > 0;
if (busy) {
  const why = [
    loadBefore[0]! > cores ? `the 1-minute load average was ${loadBefore[0]!.toFixed(2)} before the run, above the ${cores} cores` : '',
    cpu && cpu.othersCores > BUSY_CORES ? `other processes kept ${cpu.othersCores.toFixed(2)} cores busy on average` : '',
    busyRows > 0 ? `${busyRows} rows ran while others used more than ${BUSY_CORES} cores (marked BUSY)` : '',
  ].filter(Boolean);
  console.log(`WARNING: the machine was busy: ${why.join('; ')}. Those figures are suspect.`);
} else if (maxLoad > cores) {
  console.log(`note: the 1-minute load average passed the ${cores} cores (${maxLoad.toFixed(2)}), by the bench's own processes: others used ${cpu?.othersCores.toFixed(2) ?? '?'} cores.`);
}

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores,
  quick,
  pairs,
  seconds: Math.round(seconds),
  groupSeconds,
  groupStallMs,
  failedGroups,
  load: { before: loadBefore.map((l) => Number(l.toFixed(2))), after: loadAfter.map((l) => Number(l.toFixed(2))), max1: Number(maxLoad.toFixed(2)), busy },
  usage: cpu ? { benchCores: Number(cpu.benchCores.toFixed(2)), othersCores: Number(cpu.othersCores.toFixed(2)) } : undefined,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
writeFileSync('bench/results/latest.svg', chart(rows, meta));

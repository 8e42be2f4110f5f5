/**
 * `npm run bench` (`-- --quick` for a short smoke run): client process → gateway process → service process over
 * TCP loopback, 64-byte echo, against a hand-written raw relay with the same topology measured in the same run.
 * Prints a table of ratios and writes bench/results/latest.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { connect } from '../lib/index.js';
import { rawClient } from './raw-relay.js';

const quick = process.argv.includes('--quick');
const SEQUENTIAL = quick ? 300 : 3_000;
const PIPELINED = quick ? 5_000 : 50_000;
const WINDOW = 1_000;
const payload = Buffer.alloc(64, 7);
const children: ChildProcess[] = [];

async function start(role: string, arg?: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/role.ts', role, ...(arg ? [arg] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return line.trim();
}

interface Caller {
  call(): Promise<unknown>;
}

/** Per-call latency of one call at a time, in µs. */
async function latency(caller: Caller, count: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 200; i++) await caller.call();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await caller.call();
    samples.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(count * 0.5)]!, p99: samples[Math.floor(count * 0.99)]! };
}

/** Calls per second with `window` calls in flight. */
async function throughput(caller: Caller, total: number, window: number): Promise<number> {
  let sent = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      await caller.call();
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

try {
  // Baseline: raw echo ← raw relay ← raw client.
  const echoPort = await start('raw-echo');
  const relayPort = await start('raw-relay', echoPort);
  const raw = await rawClient(Number(relayPort));
  const rawCaller: Caller = { call: () => raw.call(payload) };

  // Ours: service process (directory + echo) ← gateway process ← this process.
  const directoryUrl = await start('service');
  const gatewayUrl = await start('gateway', directoryUrl);
  const connection = await connect(gatewayUrl);
  const echo = await connection.service('echo');
  const oursCaller: Caller = { call: () => echo.call('echo', payload) };

  const rawLatency = await latency(rawCaller, SEQUENTIAL);
  const oursLatency = await latency(oursCaller, SEQUENTIAL);
  const rawRate = await throughput(rawCaller, PIPELINED, WINDOW);
  const oursRate = await throughput(oursCaller, PIPELINED, WINDOW);

  const rows = [
    { scenario: 'tcp-gateway-latency p50 (µs)', ours: oursLatency.p50, baseline: rawLatency.p50, ratio: oursLatency.p50 / rawLatency.p50 },
    { scenario: 'tcp-gateway-latency p99 (µs)', ours: oursLatency.p99, baseline: rawLatency.p99, ratio: oursLatency.p99 / rawLatency.p99 },
    { scenario: 'tcp-gateway-throughput (calls/s)', ours: oursRate, baseline: rawRate, ratio: oursRate / rawRate },
  ];
  console.table(rows.map((r) => ({ ...r, ours: Math.round(r.ours), baseline: Math.round(r.baseline), ratio: r.ratio.toFixed(2) })));
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/latest.json',
    JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, quick, rows }, null, 2),
  );
  raw.close();
  await connection.close();
} finally {
  for (const child of children) child.kill();
}

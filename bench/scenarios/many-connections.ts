/**
 * many-connections: 1,000 clients, each on a connection of its own, make 100 calls each (one in flight per client,
 * all clients at once) through one gateway process over TCP, from 4 client processes (bench/many-clients.ts);
 * the baseline is the same 1,000 clients and calls over 10 connections. Both sets stay bound for the whole row and
 * alternate in pairs. Target: calls/s over 1,000 connections ≥ 0.7 × over 10; the p99 of call latency reported.
 */
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { pairedBy, pairedRow, percentile, type Row } from '../measure.js';
import { startRole, startWorker } from '../processes.js';

const PROCESSES = 4;

export async function manyConnections(quick: boolean, pairs: number): Promise<Row[]> {
  const connections = quick ? 200 : 1_000;
  const calls = quick ? 20 : 100;
  const shared = 10;
  const { directory } = await startRole<{ directory: string; service: string }>('service');
  const { gateway } = await startRole<{ gateway: string }>('gateway', directory);
  const workers: ChildProcess[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    // 10 shared connections over 4 processes: 3, 3, 2, 2.
    const sharedHere = Math.floor(shared / PROCESSES) + (i < shared % PROCESSES ? 1 : 0);
    workers.push((await startWorker('bench/many-clients.ts', gateway, String(connections / PROCESSES), String(sharedHere))).child);
  }
  const measure = (set: 'many' | 'few') => async (): Promise<{ rate: number; p99: number }> => {
    const answers = workers.map((w) => once(w, 'message') as Promise<[{ latencies: number[] }]>);
    const started = process.hrtime.bigint();
    for (const w of workers) w.send({ run: set, calls });
    const replies = await Promise.all(answers);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const latencies = replies.flatMap(([reply]) => reply.latencies);
    return { rate: latencies.length / seconds, p99: percentile(latencies, 0.99) };
  };
  const result = await pairedBy(measure('few'), measure('many'), pairs);
  const label = `${connections.toLocaleString('en')} connections × ${calls} calls`;
  return [
    pairedRow(`many-connections: ${label}`, 'calls/s', result.rate, { atLeast: 0.7 }, `baseline: the same clients over ${shared} connections; ${PROCESSES} client processes`),
    pairedRow('many-connections: p99 latency', 'µs', result.p99, undefined, 'reported, no target'),
  ];
}

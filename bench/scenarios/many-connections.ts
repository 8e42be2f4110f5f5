/**
 * many-connections: 1,000 clients, each on a connection of its own, make 100 calls each (one in flight per client,
 * all clients at once) through one gateway process over TCP, from 4 client processes (bench/many-clients.ts). The
 * baseline is the raw reference doing the same: 1,000 raw clients on their own connections through a raw relay
 * process that forwards them all over one upstream connection, as a gateway does (bench/raw-mux-relay.ts, from 4
 * bench/raw-many-clients.ts processes). Target: ours ≥ 0.7 × the raw reference. Both sides also run their 1,000
 * clients over 10 connections, and the row reports each side's 1,000 / 10 ratio: what 1,000 sockets cost TCP and
 * Node by themselves (raw), and what they cost us. Every set stays bound for the whole row; the four measurements
 * alternate in each pair. The p99 of call latency is reported.
 */
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { pairedRow, percentile, summarise, type Row } from '../measure.js';
import { startRole, startWorker } from '../processes.js';

const PROCESSES = 4;

type Sample = { rate: number; p99: number };
const gc = (globalThis as { gc?: () => void }).gc;

export async function manyConnections(quick: boolean, pairs: number): Promise<Row[]> {
  const connections = quick ? 200 : 1_000;
  const calls = quick ? 20 : 100;
  const shared = 10;
  const { directory } = await startRole<{ directory: string; service: string }>('service');
  const { gateway } = await startRole<{ gateway: string }>('gateway', directory);
  const { port: echo } = await startRole<{ port: number }>('raw-echo');
  const { port: relay } = await startRole<{ port: number }>('raw-mux-relay', String(echo));
  const ours: ChildProcess[] = [];
  const raw: ChildProcess[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    // 10 shared connections over 4 processes: 3, 3, 2, 2.
    const sharedHere = String(Math.floor(shared / PROCESSES) + (i < shared % PROCESSES ? 1 : 0));
    const clients = String(connections / PROCESSES);
    ours.push((await startWorker('bench/many-clients.ts', gateway, clients, sharedHere)).child);
    raw.push((await startWorker('bench/raw-many-clients.ts', String(relay), clients, sharedHere)).child);
  }
  const measure = async (workers: ChildProcess[], set: 'many' | 'few'): Promise<Sample> => {
    gc?.();
    const answers = workers.map((w) => once(w, 'message') as Promise<[{ latencies: number[] }]>);
    const started = process.hrtime.bigint();
    for (const w of workers) w.send({ run: set, calls });
    const replies = await Promise.all(answers);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const latencies = replies.flatMap(([reply]) => reply.latencies);
    return { rate: latencies.length / seconds, p99: percentile(latencies, 0.99) };
  };
  const pair = async (): Promise<Record<'rawFew' | 'rawMany' | 'oursFew' | 'oursMany', Sample>> => ({
    rawFew: await measure(raw, 'few'),
    oursFew: await measure(ours, 'few'),
    rawMany: await measure(raw, 'many'),
    oursMany: await measure(ours, 'many'),
  });
  await pair(); // warm-up
  const runs: Array<Awaited<ReturnType<typeof pair>>> = [];
  for (let i = 0; i < pairs; i++) runs.push(await pair());
  const compare = (baseline: keyof (typeof runs)[0], side: keyof (typeof runs)[0], figure: keyof Sample) =>
    summarise(runs.map((r) => ({ baseline: r[baseline][figure], ours: r[side][figure] })));
  const label = `${connections.toLocaleString('en')} connections × ${calls} calls`;
  return [
    pairedRow(`many-connections: ${label}`, 'calls/s', compare('rawMany', 'oursMany', 'rate'), { atLeast: 0.7 }, `baseline: the raw relay, the same ${connections.toLocaleString('en')} connections; ${PROCESSES} client processes`),
    pairedRow(`many-connections: ours ${connections.toLocaleString('en')} / ${shared} conns`, 'calls/s', compare('oursFew', 'oursMany', 'rate'), undefined, `reported: baseline ours over ${shared} connections`),
    pairedRow(`many-connections: raw ${connections.toLocaleString('en')} / ${shared} conns`, 'calls/s', compare('rawFew', 'rawMany', 'rate'), undefined, `reported: what ${connections.toLocaleString('en')} sockets cost with no library`),
    pairedRow('many-connections: p99 latency', 'µs', compare('rawMany', 'oursMany', 'p99'), undefined, 'reported: baseline the raw relay'),
  ];
}

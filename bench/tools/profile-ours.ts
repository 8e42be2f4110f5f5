/**
 * Profiles the tcp-gateway-throughput workload (64-byte echoes, 1,000 in flight, or as many as given) in all three processes: the
 * client here, the gateway and the service as children, each with `--cpu-prof` at a 50 µs interval. Read the
 * profiles with bench/tools/profile-summary.mjs. `npx tsx bench/tools/profile-ours.ts DIR [calls] [in flight]`
 */
import { connect } from '../library.js';
import { throughput } from '../measure.js';
import { startWorker, stopChild } from '../processes.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

const dir = process.argv[2] ?? '/tmp/prof';
const total = Number(process.argv[3] ?? 1_000_000);
/** Calls in flight: 1,000 as tcp-gateway-throughput, 1 as the latency row. */
const window = Number(process.argv[4] ?? 1_000);
process.env.BENCH_CPU_PROF_DIR = dir;
process.env.BENCH_CPU_PROF_INTERVAL = '50';
const service = await startWorker<{ directory: string; service: string }>('bench/role.ts', 'service');
const gateway = await startWorker<{ gateway: string }>('bench/role.ts', 'gateway', service.ready.directory);
const connection = await connect(gateway.ready.gateway);
const client = await connection.service('echo');
const small = Buffer.alloc(64, 7);
const caller = { call: () => client.call('echo', small) };
await throughput(caller, Math.min(50_000, total), window, 0);
const inspector = new Session();
inspector.connect();
await inspector.post('Profiler.enable');
await inspector.post('Profiler.setSamplingInterval', { interval: 50 });
await inspector.post('Profiler.start');
const rate = await throughput(caller, total, window, 0);
const { profile } = await inspector.post('Profiler.stop');
writeFileSync(`${dir}/client.cpuprofile`, JSON.stringify(profile));
console.log(`${Math.round(rate)} calls/s`);
await connection.close();
await stopChild(gateway.child);
await stopChild(service.child);

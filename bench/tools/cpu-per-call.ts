/**
 * Where the CPU of a forwarded call goes, per process, and the read/write system calls per thousand calls: client → gateway → service against the raw relay's
 * client → relay → echo, 64-byte echoes with 1,000 in flight (the tcp-gateway-throughput row's workload). CPU time
 * per call hardly depends on what else the machine runs, so this tells which process to profile even when the
 * machine is too busy for the bench's ratios. `npx tsx bench/tools/cpu-per-call.ts [calls] [rounds] [in flight]`
 */
import { readFileSync } from 'node:fs';
import { connect } from '../library.js';
import { throughput, type Caller } from '../measure.js';
import { startWorker, stopAll } from '../processes.js';
import { rawClient } from '../raw-relay.js';

const TICKS_PER_SECOND = 100;
const total = Number(process.argv[2] ?? 200_000);
/** Calls in flight: 1,000 as the throughput rows, 1 for what a latency row's call costs. */
const window = Number(process.argv[4] ?? 1_000);

/** User and system CPU time so far, in clock ticks (/proc/PID/stat). */
function ticks(pid: number | 'self'): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { user: fields[11]!, system: fields[12]! };
}

/** Read and write system calls so far (/proc/PID/io): batching shows as fewer per call. */
function syscalls(pid: number | 'self'): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return Number(/syscr: (\d+)/.exec(io)![1]) + Number(/syscw: (\d+)/.exec(io)![1]);
}

async function measure(label: string, caller: Caller, pids: Record<string, number | 'self'>): Promise<void> {
  await throughput(caller, 20_000, window, 0);
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, { cpu: ticks(pid), io: syscalls(pid) }]));
  const rate = await throughput(caller, total, window, 0);
  let totalTicks = 0;
  const cells = Object.entries(pids).map(([name, pid]) => {
    const now = ticks(pid);
    const perCall = (spent: number): string => ((spent / TICKS_PER_SECOND / total) * 1e6).toFixed(2);
    const user = now.user - before[name]!.cpu.user;
    const system = now.system - before[name]!.cpu.system;
    totalTicks += user + system;
    const perThousand = ((syscalls(pid) - before[name]!.io) / total) * 1e3;
    return `${name} ${perCall(user + system)} µs (user ${perCall(user)}), ${perThousand.toFixed(1)} syscalls/1000`;
  });
  const totalPerCall = ((totalTicks / TICKS_PER_SECOND / total) * 1e6).toFixed(2);
  console.log(`${label.padEnd(6)} ${Math.round(rate).toString().padStart(7)} calls/s   cpu per call ${totalPerCall} µs: ${cells.join(', ')}`);
}

try {
  const echo = await startWorker<{ port: number }>('bench/role.ts', 'raw-echo');
  const relay = await startWorker<{ port: number }>('bench/role.ts', 'raw-relay', String(echo.ready.port));
  const baseline = await rawClient(relay.ready.port);
  const service = await startWorker<{ directory: string; service: string }>('bench/role.ts', 'service');
  const gateway = await startWorker<{ gateway: string }>('bench/role.ts', 'gateway', service.ready.directory);
  const connection = await connect(gateway.ready.gateway);
  const client = await connection.service('echo');
  const small = Buffer.alloc(64, 7);
  const rounds = Number(process.argv[3] ?? 3);
  for (let round = 0; round < rounds; round++) {
    await measure('raw', { call: () => baseline.call(small) }, { client: 'self', relay: relay.child.pid!, echo: echo.child.pid! });
    await measure('ours', { call: () => client.call('echo', small) }, { client: 'self', gateway: gateway.child.pid!, service: service.child.pid! });
  }
  baseline.close();
  await connection.close();
} finally {
  stopAll();
}

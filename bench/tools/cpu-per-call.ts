/**
 * Where the CPU of a forwarded call goes, per process: client → gateway → service against the raw relay's
 * client → relay → echo, 64-byte echoes with 1,000 in flight (the tcp-gateway-throughput row's workload). CPU time
 * per call hardly depends on what else the machine runs, so this tells which process to profile even when the
 * machine is too busy for the bench's ratios. `npx tsx bench/tools/cpu-per-call.ts [calls]`
 */
import { readFileSync } from 'node:fs';
import { connect } from '../library.js';
import { throughput, type Caller } from '../measure.js';
import { startWorker, stopAll } from '../processes.js';
import { rawClient } from '../raw-relay.js';

const TICKS_PER_SECOND = 100;
const total = Number(process.argv[2] ?? 200_000);

function ticks(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return fields[11]! + fields[12]!;
}

async function measure(label: string, caller: Caller, pids: Record<string, number | 'self'>): Promise<void> {
  await throughput(caller, 20_000, 1_000, 0);
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, ticks(pid)]));
  const rate = await throughput(caller, total, 1_000, 0);
  const cells = Object.entries(pids).map(([name, pid]) => {
    const microseconds = ((ticks(pid) - before[name]!) / TICKS_PER_SECOND / total) * 1e6;
    return `${name} ${microseconds.toFixed(2)} µs`;
  });
  console.log(`${label.padEnd(6)} ${Math.round(rate).toString().padStart(7)} calls/s   cpu per call: ${cells.join(', ')}`);
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
  for (let round = 0; round < 3; round++) {
    await measure('raw', { call: () => baseline.call(small) }, { client: 'self', relay: relay.child.pid!, echo: echo.child.pid! });
    await measure('ours', { call: () => client.call('echo', small) }, { client: 'self', gateway: gateway.child.pid!, service: service.child.pid! });
  }
  baseline.close();
  await connection.close();
} finally {
  stopAll();
}

/**
 * Over TCP loopback, separate processes. Ours: client (this process) → gateway process → service process, or
 * client → service (direct). Baselines in the same run: a hand-written raw relay (bench/raw-relay.ts) in the same
 * topology, and a raw two-process echo.
 */
import { connect } from '../library.js';
import { latency, row, throughput, type Caller, type Row } from '../measure.js';
import { startRole } from '../processes.js';
import { rawClient } from '../raw-relay.js';

export interface TcpResults {
  rows: Row[];
  /** The raw relay's calls/s with 64-byte payloads, the baseline of memory-throughput too. */
  rawRelayRate: number;
}

export async function tcpScenarios(quick: boolean): Promise<TcpResults> {
  const scale = quick ? 0.1 : 1;
  const small = Buffer.alloc(64, 7);

  const echo = await startRole<{ port: number }>('raw-echo');
  const relay = await startRole<{ port: number }>('raw-relay', String(echo.port));
  const rawViaRelay = await rawClient(relay.port);
  const rawDirect = await rawClient(echo.port);
  const { directory, service } = await startRole<{ directory: string; service: string }>('service');
  const { gateway } = await startRole<{ gateway: string }>('gateway', directory);
  const viaGateway = await connect(gateway);
  const direct = await connect(service);
  const echoViaGateway = await viaGateway.service('echo');
  const echoDirect = await direct.service('echo');

  const raw = (client: typeof rawViaRelay, payload: Buffer): Caller => ({ call: () => client.call(payload) });
  const ours = (client: typeof echoViaGateway, payload: Uint8Array): Caller => ({ call: () => client.call('echo', payload) });
  const rows: Row[] = [];
  try {
    const total = Math.round(200_000 * scale);
    const rawRelayRate = await throughput(raw(rawViaRelay, small), total, 1_000);
    const gatewayRate = await throughput(ours(echoViaGateway, small), total, 1_000);
    rows.push(row('tcp-gateway-throughput', 'calls/s', gatewayRate, rawRelayRate, { atLeast: 0.5 }));

    const count = Math.round(3_000 * scale);
    const rawLatency = await latency(raw(rawViaRelay, small), count);
    const ourLatency = await latency(ours(echoViaGateway, small), count);
    rows.push(row('tcp-gateway-latency p50', 'µs', ourLatency.p50, rawLatency.p50, { atMost: 1.3 }));
    rows.push(row('tcp-gateway-latency p99', 'µs', ourLatency.p99, rawLatency.p99, { atMost: Infinity }, 'reported, no target'));

    const rawDirectRate = await throughput(raw(rawDirect, small), total, 1_000);
    const directRate = await throughput(ours(echoDirect, small), total, 1_000);
    rows.push(row('tcp-direct-throughput', 'calls/s', directRate, rawDirectRate, { atLeast: 0.6 }));

    for (const [size, calls, window] of [
      [64, 20_000, 1_000],
      [4 << 10, 10_000, 256],
      [256 << 10, 1_000, 16],
      [4 << 20, 100, 4],
    ] as const) {
      const payload = Buffer.alloc(size, 1);
      const n = Math.max(window * 2, Math.round(calls * scale));
      const rawMBs = ((await throughput(raw(rawViaRelay, payload), n, window)) * size) / 1e6;
      const ourMBs = ((await throughput(ours(echoViaGateway, payload), n, window)) * size) / 1e6;
      rows.push(row(`payload-sizes ${formatSize(size)}`, 'MB/s', ourMBs, rawMBs, { atLeast: 0.5 }));
    }
    return { rows, rawRelayRate };
  } finally {
    rawViaRelay.close();
    rawDirect.close();
    await viaGateway.close();
    await direct.close();
  }
}

function formatSize(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes >> 20} MiB` : bytes >= 1 << 10 ? `${bytes >> 10} KiB` : `${bytes} B`;
}

/**
 * Over TCP loopback, separate processes. Ours: client (this process) → gateway process → service process, or
 * client → service (direct). Baselines in the same run: a hand-written raw relay (bench/raw-relay.ts) in the same
 * topology, and a raw two-process echo. Both topologies stay up for the whole group; every row alternates
 * baseline and ours on them in pairs (measure.ts `paired`).
 */
import { connect } from '../library.js';
import { latency, paired, pairedBy, pairedRow, throughput, type Caller, type Row } from '../measure.js';
import { startRole } from '../processes.js';
import { rawClient } from '../raw-relay.js';

type RawClient = Awaited<ReturnType<typeof rawClient>>;
export const raw = (client: RawClient, payload: Buffer): Caller => ({ call: () => client.call(payload) });

/** The raw three-process relay (echo process, relay process, a client in this process), as a baseline. */
export async function rawRelay(): Promise<{ viaRelay: RawClient; direct: RawClient; close(): void }> {
  const echo = await startRole<{ port: number }>('raw-echo');
  const relay = await startRole<{ port: number }>('raw-relay', String(echo.port));
  const viaRelay = await rawClient(relay.port);
  const direct = await rawClient(echo.port);
  return {
    viaRelay,
    direct,
    close: () => {
      viaRelay.close();
      direct.close();
    },
  };
}

export async function tcpScenarios(quick: boolean, pairs: number): Promise<Row[]> {
  const scale = quick ? 0.1 : 1;
  const small = Buffer.alloc(64, 7);

  const baseline = await rawRelay();
  const { directory, service } = await startRole<{ directory: string; service: string }>('service');
  const { gateway } = await startRole<{ gateway: string }>('gateway', directory);
  const viaGateway = await connect(gateway);
  const direct = await connect(service);
  const echoViaGateway = await viaGateway.service('echo');
  const echoDirect = await direct.service('echo');

  const ours = (client: typeof echoViaGateway, payload: Uint8Array): Caller => ({ call: () => client.call('echo', payload) });
  const rows: Row[] = [];
  try {
    // Each measurement refills the pipeline with two windows' worth of calls; the JIT warm-up is paired's warm-up pair.
    const rate = (caller: Caller, total: number, window: number) => () => throughput(caller, total, window, window * 2);
    // 400,000 calls: about 0.5 s per measurement now that ours does 0.8 of the relay's rate; with 200,000 (0.25–0.4
    // s) one scheduler hiccup swung a pair by a fifth.
    const total = Math.round(400_000 * scale);
    // Three warm-up pairs: both sides' calls/s rose pair after pair for the first few seconds on a connection (the
    // raw relay's from 581k to 786k calls/s over the five pairs after one warm-up pair), and the first pair decided
    // the row's minimum.
    const warmupPairs = 3;
    const gatewayPairs = await paired(rate(raw(baseline.viaRelay, small), total, 1_000), rate(ours(echoViaGateway, small), total, 1_000), pairs, warmupPairs);
    rows.push(pairedRow('tcp-gateway-throughput', 'calls/s', gatewayPairs, { atLeast: 0.8 }));

    const count = Math.round(3_000 * scale);
    // Three warm-up pairs here too: after one, both sides' p50 fell pair after pair (the raw relay's first pair came
    // out at 1.59 of its median, ours' at 1.29).
    const latencyPairs = await pairedBy(
      () => latency(raw(baseline.viaRelay, small), count, 50),
      () => latency(ours(echoViaGateway, small), count, 50),
      pairs,
      warmupPairs,
    );
    rows.push(pairedRow('tcp-gateway-latency p50', 'µs', latencyPairs.p50, { atMost: 1.15 }));
    rows.push(pairedRow('tcp-gateway-latency p99', 'µs', latencyPairs.p99, undefined, 'reported, no target'));

    const directPairs = await paired(rate(raw(baseline.direct, small), total, 1_000), rate(ours(echoDirect, small), total, 1_000), pairs, warmupPairs);
    rows.push(pairedRow('tcp-direct-throughput', 'calls/s', directPairs, { atLeast: 0.8 }));

    for (const [size, calls, window] of [
      // 100,000 small calls take ~0.3 s: 20,000 took 70 ms, short enough for one scheduler hiccup to swing a pair.
      [64, 100_000, 1_000],
      [4 << 10, 10_000, 256],
      [256 << 10, 1_000, 16],
      [4 << 20, 100, 4],
    ] as const) {
      const payload = Buffer.alloc(size, 1);
      const n = Math.max(window * 2, Math.round(calls * scale));
      const mbs = (caller: Caller) => async () => ((await throughput(caller, n, window, window * 2)) * size) / 1e6;
      const sizePairs = await paired(mbs(raw(baseline.viaRelay, payload)), mbs(ours(echoViaGateway, payload)), pairs);
      rows.push(pairedRow(`payload-sizes ${formatSize(size)}`, 'MB/s', sizePairs, { atLeast: 0.6 }));
    }
    return rows;
  } finally {
    baseline.close();
    await viaGateway.close();
    await direct.close();
  }
}

function formatSize(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes >> 20} MiB` : bytes >= 1 << 10 ? `${bytes >> 10} KiB` : `${bytes} B`;
}

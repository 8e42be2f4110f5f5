/**
 * ws-gateway-throughput: client (this process) → gateway process → service process over ws://, against the raw
 * three-process relay over the `ws` package with the same batching (bench/raw-ws-relay.ts), in pairs.
 */
import { connect } from '../library.js';
import { paired, pairedRow, throughput, type Row } from '../measure.js';
import { startRole } from '../processes.js';
import { rawWsClient } from '../raw-ws-relay.js';

export async function wsGatewayThroughput(quick: boolean, pairs: number): Promise<Row> {
  const echo = await startRole<{ port: number }>('raw-ws-echo');
  const relay = await startRole<{ port: number }>('raw-ws-relay', String(echo.port));
  const raw = await rawWsClient(relay.port);
  const { directory } = await startRole<{ directory: string; service: string }>('service-ws');
  const { gateway } = await startRole<{ gateway: string }>('gateway-ws', directory);
  const viaGateway = await connect(gateway);
  try {
    const client = await viaGateway.service('echo');
    const payload = Buffer.alloc(64, 7);
    const total = Math.round(200_000 * (quick ? 0.1 : 1));
    const result = await paired(
      () => throughput({ call: () => raw.call(payload) }, total, 1_000, 2_000),
      () => throughput({ call: () => client.call('echo', payload) }, total, 1_000, 2_000),
      pairs,
    );
    return pairedRow('ws-gateway-throughput', 'calls/s', result, { atLeast: 0.5 }, 'baseline: raw 3-process relay over ws');
  } finally {
    raw.close();
    await viaGateway.close();
  }
}

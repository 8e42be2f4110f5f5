/**
 * Over nats:// (issue 17): a nats-server of the bench's own on a free loopback port, the echo service in its own
 * process, the client in this one. Ours: direct calls over nats:// (client → service, one link, a pair of
 * inboxes). Baseline in the same run: a raw NATS subject pair (bench/raw-nats-pair.ts) between the same two
 * kinds of process, with the same window. Without nats-server the group is skipped with a note.
 */
import { connect } from '../library.js';
import { latency, paired, pairedBy, pairedRow, throughput, type Caller, type Row } from '../measure.js';
import { childMark, startRole, stopStartedSince } from '../processes.js';
import { rawNatsClient } from '../raw-nats-pair.js';
// The specs' helper: it starts nats-server on a free port and kills it by PID (its mocha hook is inert here).
import { natsServerMissing, startNatsServer } from '../../spec/nats-server.js';

export async function natsScenarios(quick: boolean, pairs: number): Promise<Row[]> {
  const missing = natsServerMissing();
  if (missing) {
    console.log(`note: the nats rows are skipped: ${missing}`);
    return [];
  }
  const scale = quick ? 0.1 : 1;
  const small = Buffer.alloc(64, 7);
  const server = await startNatsServer();
  const natsServer = `127.0.0.1:${server.port}`;
  const mark = childMark();
  try {
    await startRole('raw-nats-echo', natsServer);
    const baseline = await rawNatsClient(natsServer);
    const { service } = await startRole<{ service: string }>('service-nats', server.url);
    const direct = await connect(service);
    const echo = await direct.service('echo');
    const raw: Caller = { call: () => baseline.call(small) };
    const ours: Caller = { call: () => echo.call('echo', small) };
    const rows: Row[] = [];
    try {
      const rate = (caller: Caller, total: number, window: number) => () => throughput(caller, total, window, window * 2);
      const total = Math.round(200_000 * scale);
      const throughputPairs = await paired(rate(raw, total, 1_000), rate(ours, total, 1_000), pairs);
      rows.push(pairedRow('nats-direct-throughput', 'calls/s', throughputPairs, { atLeast: 0.6 }, 'raw NATS subject pair, same window'));
      const count = Math.round(3_000 * scale);
      const latencyPairs = await pairedBy(() => latency(raw, count, 50), () => latency(ours, count, 50), pairs);
      rows.push(pairedRow('nats-direct-latency p50', 'µs', latencyPairs.p50, { atMost: 1.3 }));
      rows.push(pairedRow('nats-direct-latency p99', 'µs', latencyPairs.p99, undefined, 'reported, no target'));
      return rows;
    } finally {
      await direct.close();
      await baseline.close();
    }
  } finally {
    await stopStartedSince(mark);
    await server.stop();
  }
}

/**
 * More rows over nats:// (issue 17), each against a baseline in the same run (raw NATS, or the services API):
 *
 * - nats-gateway-throughput: a client (this process) over TCP → a gateway process → nats:// → the echo service
 *   process, 64 B, 1,000 in flight, against the raw NATS subject pair (bench/raw-nats-pair.ts). Target ≥ 0.5.
 * - nats-vs-services-api: ours is the same as nats-gateway-throughput's (this process over TCP → the gateway process
 *   → nats:// → the echo service process); the baseline is what a user writes with the official services framework
 *   (bench/nats-services-echo.ts): `nc.request(subject, payload)` from this process to a service process made with
 *   `@nats-io/services` (an `echo` endpoint in a queue group) through the same nats-server. 64 B, 1,000 in flight
 *   on both sides, 50,000 calls per measurement (the baseline runs at ~15–30k calls/s: 2–3 s each). Target ≥ 4.
 * - nats-payload 64 B / 256 KiB / 4 MiB: direct calls over nats:// against the raw pair with the same payload and
 *   window (1,000 / 16 / 4), through a nats-server whose max_payload is 8 MiB so that the raw pair can carry 4 MiB
 *   in one message. Target ≥ 0.5 each.
 * - nats-directory-lookup: `lookup(name)` on a directory instance whose store is the JetStream KV bucket (a
 *   process; it answers from the watch's cache), one in flight, against a raw `kv.get` of the record's key. ≤ 1.5×.
 * - nats-serviceAdded: a register on one directory instance until serviceAdded fires at a client of another,
 *   against a raw `kv.put` until a raw watch of the bucket sees it. ≤ 2×. The names are new each time and stay
 *   registered (≤ 240 of the directory's 1,000): an unregister right after, on a busy machine, was once refused
 *   as "registered through another directory instance" (noted in issue 17).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect } from '../library.js';
import type { DirectoryService } from '../../lib/index.js';
import { latency, median, paired, pairedBy, pairedRow, throughput, type Caller, type Row } from '../measure.js';
import { childMark, startRole, stopStartedSince } from '../processes.js';
import { rawNatsClient } from '../raw-nats-pair.js';
import { servicesClient } from '../nats-services-echo.js';
import { startNatsServer } from '../../spec/nats-server.js';

const rate = (caller: Caller, total: number, window: number) => () => throughput(caller, total, window, window * 2);

export async function natsGatewayAndPayloads(quick: boolean, pairs: number): Promise<Row[]> {
  const scale = quick ? 0.1 : 1;
  const config = join(mkdtempSync(join(tmpdir(), 'qi-bench-nats-')), 'nats.conf');
  writeFileSync(config, 'max_payload: 8388608\n');
  const server = await startNatsServer({ args: ['-c', config] });
  const natsServer = `127.0.0.1:${server.port}`;
  const rows: Row[] = [];
  const mark = childMark();
  try {
    await startRole('raw-nats-echo', natsServer);
    await startRole('services-echo', natsServer);
    const raw = await rawNatsClient(natsServer);
    const services = await servicesClient(natsServer);
    const { directory, service } = await startRole<{ directory: string; service: string }>('service-nats', server.url);
    const { gateway } = await startRole<{ gateway: string }>('gateway', directory);
    const direct = await connect(service);
    const viaGateway = await connect(gateway);
    try {
      const echoDirect = await direct.service('echo');
      const echoGateway = await viaGateway.service('echo');
      const small = Buffer.alloc(64, 7);
      const gatewayPairs = await paired(rate({ call: () => raw.call(small) }, Math.round(200_000 * scale), 1_000), rate({ call: () => echoGateway.call('echo', small) }, Math.round(200_000 * scale), 1_000), pairs);
      rows.push(pairedRow('nats-gateway-throughput', 'calls/s', gatewayPairs, { atLeast: 0.5 }, 'tcp client → gateway → nats:// → service; baseline: the raw NATS pair, same window'));
      const servicesCalls = Math.round(50_000 * scale);
      const servicesPairs = await paired(rate({ call: () => services.call(small) }, servicesCalls, 1_000), rate({ call: () => echoGateway.call('echo', small) }, servicesCalls, 1_000), pairs);
      rows.push(pairedRow('nats-vs-services-api', 'calls/s', servicesPairs, { atLeast: 4 }, 'tcp client → gateway → nats:// → service; baseline: nc.request to a @nats-io/services endpoint (queue group), same window'));
      for (const [label, size, window, calls] of [
        ['64 B', 64, 1_000, 100_000],
        ['256 KiB', 256 << 10, 16, 1_200],
        ['4 MiB', 4 << 20, 4, 80],
      ] as const) {
        const payload = Buffer.alloc(size, 7);
        const total = Math.max(window * 4, Math.round(calls * scale));
        const bytes = (callsPerSecond: number): number => (callsPerSecond * size) / 1e6;
        const result = await paired(
          async () => bytes(await rate({ call: () => raw.call(payload) }, total, window)()),
          async () => bytes(await rate({ call: () => echoDirect.call('echo', payload) }, total, window)()),
          pairs,
        );
        rows.push(pairedRow(`nats-payload ${label}`, 'MB/s', result, { atLeast: 0.5 }, `direct over nats://, window ${window}; baseline: the raw pair, same size and window (max_payload 8 MiB)`));
      }
    } finally {
      await direct.close();
      await viaGateway.close();
      await raw.close();
      await services.close();
    }
  } finally {
    await stopStartedSince(mark);
    await server.stop();
  }
  return rows;
}

export async function natsDirectory(quick: boolean, pairs: number): Promise<Row[]> {
  const server = await startNatsServer({ jetstream: true });
  const rows: Row[] = [];
  const mark = childMark();
  try {
    const a = await startRole<{ directory: string }>('directory-kv', server.url);
    const b = await startRole<{ directory: string }>('directory-kv', server.url);
    const registrant = await connect(a.directory);
    const watcher = await connect(b.directory);
    const nc = await natsConnect({ servers: server.url });
    try {
      const sdA = await registrant.service<DirectoryService>('ServiceDirectory');
      const sdB = await watcher.service<DirectoryService>('ServiceDirectory');
      await sdA.register('echo', ['tcp://127.0.0.1:1']);
      const kv = await new Kvm(nc).open('qi-directory');
      const key = `svc.${Buffer.from('echo').toString('base64url')}`;
      const count = quick ? 200 : 2_000;
      const lookups = await pairedBy(
        () => latency({ call: () => kv.get(key) }, count, 50),
        () => latency({ call: () => sdB.lookup('echo') }, count, 50),
        pairs,
      );
      rows.push(pairedRow('nats-directory-lookup p50', 'µs', lookups.p50, { atMost: 1.5 }, "lookup on a JetStream directory instance (a process, over TCP) vs a raw kv.get of the record's key"));

      // serviceAdded: one register at a time on instance A, timed until B's client hears of it.
      let next = 0;
      const waiting = new Map<string, () => void>();
      await sdB.on('serviceAdded', (name) => waiting.get(name)?.());
      const samples = quick ? 10 : 40;
      const addedMs = async (): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < samples; i++) {
          const name = `bench.${next++}`;
          const heard = new Promise<void>((resolve) => waiting.set(name, resolve));
          const started = performance.now();
          await sdA.register(name, ['tcp://127.0.0.1:1']);
          await heard;
          times.push((performance.now() - started) * 1_000);
          waiting.delete(name);
        }
        return median(times);
      };
      const rawWatch = await kv.watch({ key: 'raw.>' });
      const seen = new Map<string, () => void>();
      void (async () => {
        for await (const entry of rawWatch) if (entry.operation === 'PUT') seen.get(entry.key)?.();
      })();
      const rawMs = async (): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < samples; i++) {
          const name = `raw.${next++}`;
          const heard = new Promise<void>((resolve) => seen.set(name, resolve));
          const started = performance.now();
          await kv.put(name, '{}');
          await heard;
          times.push((performance.now() - started) * 1_000);
          seen.delete(name);
          await kv.delete(name);
        }
        return median(times);
      };
      const added = await paired(rawMs, addedMs, pairs);
      rows.push(pairedRow('nats-serviceAdded', 'µs', added, { atMost: 2 }, 'register on one JetStream directory instance until a client of another hears serviceAdded, vs a raw kv.put until a raw watch sees it'));
      rawWatch.stop();
    } finally {
      await registrant.close();
      await watcher.close();
      await nc.close();
    }
  } finally {
    await stopStartedSince(mark);
    await server.stop();
  }
  return rows;
}

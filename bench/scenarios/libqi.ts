/**
 * libqi (issue #16): qimessaging against the real libqi 4.0.5 of the kit (../shared/libqi-peer), on the kit's
 * Echo `echo(s)->s` with a 64-character string. One `qi_sd` of the kit, the kit's `qi_echo_service` ("Echo") and,
 * in a process of its own (bench/role.ts `libqi-echo`), a qimessaging Echo served by `createLibqiService`
 * (registered as "EchoQim"); both on that directory. The baseline of every row is the kit's own client and service,
 * `qi_client lat|tput` → `qi_echo_service`, measured in the same run, alternating with ours in pairs:
 *
 *   - libqi-client: our direct libqi client (`connectLibqi`) → `qi_echo_service`;
 *   - libqi-service: `qi_client` → our served Echo (the same client, `QI_SERVICE=EchoQim`);
 *   - libqi-bridge: a qimessaging client → a bridging gateway (`createGateway({ libqiDirectory })`, its own
 *     process) → `qi_echo_service`; reported, no target.
 *
 * How like is measured with like. The kit's client measures itself: one `qi_client` process per measurement
 * connects, makes 200 sequential warm-up calls, then times COUNT calls and prints p50/p99 (lat) or calls/s
 * (tput, INFLIGHT in flight); the bench parses that line. Our client is measured by the same steps, the same
 * counts, payload and window, with the same percentile rule (bench/libqi-client.ts), also in a process of its own,
 * so that neither side shares a CPU with the bench process. That process is started once per group and serves
 * every measurement of ours over IPC, each with a fresh connection, as each qi_client run has: a new Node process per
 * measurement would time V8 compiling the call path during 200 warm-up calls, which a C++ program never pays
 * (the other rows warm up with a discarded pair for the same reason). Process start-up is timed on neither side.
 *
 * The kit's README warns that `qi_client demo` can hang at exit in libqi's destructor; `lat` and `tput` can too
 * (twice in about 160 runs here, under load), and even a clean exit takes another ~0.4 s after the result. So each
 * qi_client run is killed by its PID as soon as it has printed its result line (`runPeer`'s `doneWhen`), and
 * after a timeout if it never does.
 * Without the kit the group is skipped with a note.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connectLibqi } from '../library.js';
import type { LibqiClientReply, LibqiClientRequest } from '../libqi-client.js';
import { paired, pairedBy, pairedRow, type Row } from '../measure.js';
import { adopt, startWorker, stopChild } from '../processes.js';
// The specs' helpers for the kit: each program on a free port, stopped by its PID (SIGTERM, then SIGKILL).
import { PEER_KIT } from '../../spec/libqi/captures.js';
import { freePort, peerPresent, runPeer, startPeer, type PeerProcess } from '../../spec/libqi/peer.js';

/** The name our served Echo registers under, beside the kit's "Echo" on the same directory. */
const OURS_NAME = 'EchoQim';
/** The echoed string's length, in bytes (qi_client's PAYLOAD; a string of 'x' on both sides). */
const BYTES = 64;
const INFLIGHT = 64;

type Latency = { p50: number; p99: number };

export async function libqiScenarios(quick: boolean, pairs: number): Promise<Row[]> {
  if (!peerPresent()) {
    console.log(`note: the libqi rows are skipped: the libqi peer kit is absent at ${PEER_KIT}`);
    return [];
  }
  const scale = quick ? 0.1 : 1;
  const latencyCount = Math.round(3_000 * scale);
  const throughputCount = Math.round(10_000 * scale);
  const peers: PeerProcess[] = [];
  const workers: ChildProcess[] = [];
  try {
    const sdPort = await freePort();
    const echoPort = await freePort();
    const sdUrl = `tcp://127.0.0.1:${sdPort}`;
    peers.push(await startPeer('qi_sd', [sdUrl], { port: sdPort }));
    peers.push(await startPeer('qi_echo_service', [sdUrl, `tcp://127.0.0.1:${echoPort}`], { port: echoPort }));
    for (const peer of peers) adopt(peer.child);
    const served = await startWorker('bench/role.ts', 'libqi-echo', sdUrl, OURS_NAME);
    workers.push(served.child);
    const bridge = await startWorker<{ gateway: string }>('bench/role.ts', 'gateway-libqi', sdUrl);
    workers.push(bridge.child);
    const client = await startWorker('bench/libqi-client.ts');
    workers.push(client.child);
    await bothRegistered(sdUrl);

    const kitLatency = (service?: string) => () => kitClient(sdUrl, ['lat', sdUrl, String(latencyCount), String(BYTES)], service).then(latencyOf);
    const kitThroughput = (service?: string) => () =>
      kitClient(sdUrl, ['tput', sdUrl, String(throughputCount), String(INFLIGHT), String(BYTES)], service).then(throughputOf);
    const ours = (via: LibqiClientRequest['via'], url: string) => ({
      latency: () => ourClient(client.child, { mode: 'lat', via, url, count: latencyCount, bytes: BYTES }).then(latencyOf),
      throughput: () => ourClient(client.child, { mode: 'tput', via, url, count: throughputCount, inflight: INFLIGHT, bytes: BYTES }).then(throughputOf),
    });
    const rows: Row[] = [];
    const baseline = 'baseline qi_client → qi_echo_service';
    const direct = ours('libqi', sdUrl);
    const lat1 = await pairedBy(kitLatency(), direct.latency, pairs);
    rows.push(pairedRow('libqi-client-latency p50', 'µs', lat1.p50, { atMost: 1.0 }, `connectLibqi → qi_echo_service; ${baseline}`));
    rows.push(pairedRow('libqi-client-latency p99', 'µs', lat1.p99, undefined, 'reported, no target'));
    const tput1 = await paired(kitThroughput(), direct.throughput, pairs);
    rows.push(pairedRow('libqi-client-throughput', 'calls/s', tput1, { atLeast: 1.0 }, `${INFLIGHT} in flight; ${baseline}`));

    const lat2 = await pairedBy(kitLatency(), kitLatency(OURS_NAME), pairs);
    rows.push(pairedRow('libqi-service-latency p50', 'µs', lat2.p50, { atMost: 1.0 }, `qi_client → createLibqiService; ${baseline}`));
    rows.push(pairedRow('libqi-service-latency p99', 'µs', lat2.p99, undefined, 'reported, no target'));
    const tput2 = await paired(kitThroughput(), kitThroughput(OURS_NAME), pairs);
    rows.push(pairedRow('libqi-service-throughput', 'calls/s', tput2, { atLeast: 1.0 }, `${INFLIGHT} in flight; ${baseline}`));

    const viaGateway = ours('gateway', bridge.ready.gateway);
    const lat3 = await pairedBy(kitLatency(), viaGateway.latency, pairs);
    rows.push(pairedRow('libqi-bridge-latency p50', 'µs', lat3.p50, undefined, `reported: client → gateway → qi_echo_service; ${baseline}`));
    const tput3 = await paired(kitThroughput(), viaGateway.throughput, pairs);
    rows.push(pairedRow('libqi-bridge-throughput', 'calls/s', tput3, undefined, `reported, ${INFLIGHT} in flight; ${baseline}`));
    return rows;
  } finally {
    for (const worker of workers.reverse()) await stopChild(worker);
    for (const peer of peers.reverse()) await peer.stop();
  }
}

/** Both Echos are in the directory: the kit's service registers just after it starts listening. */
async function bothRegistered(sdUrl: string): Promise<void> {
  const directory = await connectLibqi(sdUrl);
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const names = (await directory.services()).map((s) => s.name);
      if (names.includes('Echo') && names.includes(OURS_NAME)) return;
      if (Date.now() > deadline) throw new Error(`the libqi directory lists ${names.join(', ')}: no Echo and ${OURS_NAME} after 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await directory.close();
  }
}

/** How long one measurement may take before its process is killed: a fixed allowance plus 1 ms per call. */
const timeoutFor = (count: number): number => 5_000 + count;

/**
 * One run of the kit's `qi_client` (`args` = lat|tput SD_URL COUNT [INFLIGHT] BYTES), against `service` (default
 * "Echo"); the `key=value` fields of the line it prints: `lat n=… bytes=… p50_us=… p90_us=… p99_us=… mean_us=…
 * min_us=…` or `tput n=… inflight=… bytes=… seconds=… calls_per_s=… errors=…`.
 */
async function kitClient(sdUrl: string, args: string[], service?: string): Promise<LibqiClientReply> {
  const mode = args[0]!;
  const { code, output } = await runPeer('qi_client', args, {
    env: service ? { QI_SERVICE: service } : {},
    timeout: timeoutFor(Number(args[2])),
    doneWhen: new RegExp(`^${mode} n=.*\\n`, 'm'),
  });
  const line = output.split('\n').find((l) => l.startsWith(`${mode} n=`));
  if (line === undefined) throw new Error(`qi_client ${args.join(' ')} against ${service ?? 'Echo'} at ${sdUrl} printed no result (exit ${code}): ${output.trim()}`);
  const fields = Object.fromEntries(line.split(' ').slice(1).map((field) => field.split('=') as [string, string]));
  if (mode === 'lat') return { p50: Number(fields.p50_us), p99: Number(fields.p99_us) };
  if (fields.errors !== '0') return { error: `qi_client tput had ${fields.errors} failed calls: ${line}` };
  return { callsPerSecond: Number(fields.calls_per_s) };
}

/** One measurement by our client process (bench/libqi-client.ts), under the same timeout as a qi_client run. */
async function ourClient(child: ChildProcess, request: LibqiClientRequest): Promise<LibqiClientReply> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutFor(request.count));
  try {
    child.send(request);
    const [reply] = (await once(child, 'message', { signal: abort.signal })) as [LibqiClientReply];
    return reply;
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`our libqi client did not answer ${JSON.stringify(request)} within ${timeoutFor(request.count)} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function latencyOf(reply: LibqiClientReply): Latency {
  if ('error' in reply) throw new Error(reply.error);
  if (!('p50' in reply) || !Number.isFinite(reply.p50) || !Number.isFinite(reply.p99)) throw new Error(`no latency in ${JSON.stringify(reply)}`);
  return reply;
}

function throughputOf(reply: LibqiClientReply): number {
  if ('error' in reply) throw new Error(reply.error);
  if (!('callsPerSecond' in reply) || !Number.isFinite(reply.callsPerSecond)) throw new Error(`no calls/s in ${JSON.stringify(reply)}`);
  return reply.callsPerSecond;
}

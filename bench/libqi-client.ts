/**
 * Our side of the libqi rows' client measurements, in a process of its own (as the kit's `qi_client` is), started
 * by bench/scenarios/libqi.ts: `tsx bench/libqi-client.ts`. On each IPC message it does what one run of
 * `qi_client lat|tput SD_URL COUNT [INFLIGHT] BYTES` does (the kit's src/qi_client.cpp), step for step:
 *
 *   - connect (`libqi`: `connectLibqi(SD_URL)`, the direct libqi client; `gateway`: `connect(GATEWAY_URL)`, a
 *     qimessaging client of a bridging gateway) and get the service (`Echo`, or the message's `service`);
 *   - 200 sequential `echo` calls of a `bytes`-long string of 'x' as a warm-up, untimed;
 *   - `lat`: `count` sequential calls, each timed; p50 and p99 by nearest rank (the index `floor(q × count)`, as
 *     qi_client's `pct`); `tput`: `count` calls with `inflight` in flight, timed from the first call to the last
 *     reply;
 *   - every reply's length checked, as qi_client does; then the connection is closed.
 *
 * It answers with the figures, or `{ error }`.
 */
import { connect, connectLibqi, ServiceNotFoundError } from './library.js';
import { latency, throughput, type Caller } from './measure.js';

export interface LibqiClientRequest {
  mode: 'lat' | 'tput';
  via: 'libqi' | 'gateway';
  url: string;
  count: number;
  /** `tput` only. */
  inflight?: number;
  bytes: number;
  service?: string;
}

export type LibqiClientReply = { p50: number; p99: number } | { callsPerSecond: number } | { error: string };

/** qi_client's warm-up: 200 sequential calls before either measurement. */
const WARMUP_CALLS = 200;

process.on('SIGTERM', () => process.exit(0));

/** A connected echo, and how to close it. The gateway may not have seen the service yet: it is asked again. */
async function open(request: LibqiClientRequest): Promise<{ call: (text: string) => Promise<unknown>; close: () => Promise<void> }> {
  const name = request.service ?? 'Echo';
  if (request.via === 'libqi') {
    const robot = await connectLibqi(request.url);
    try {
      const echo = await robot.service(name);
      return { call: (text) => echo.call('echo', text), close: () => robot.close() };
    } catch (err) {
      await robot.close();
      throw err;
    }
  }
  const connection = await connect(request.url);
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const echo = await connection.service(name);
        return { call: (text) => echo.call('echo', text), close: () => connection.close() };
      } catch (err) {
        if (!(err instanceof ServiceNotFoundError) || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (err) {
    await connection.close();
    throw err;
  }
}

async function measure(request: LibqiClientRequest): Promise<LibqiClientReply> {
  const echo = await open(request);
  try {
    const payload = 'x'.repeat(request.bytes);
    const caller: Caller = {
      call: async () => {
        const reply = await echo.call(payload);
        if (typeof reply !== 'string' || reply.length !== payload.length) throw new Error(`bad reply: ${String(reply).slice(0, 80)}`);
        return reply;
      },
    };
    for (let i = 0; i < WARMUP_CALLS; i++) await caller.call();
    if (request.mode === 'lat') return await latency(caller, request.count, 0);
    return { callsPerSecond: await throughput(caller, request.count, request.inflight ?? 64, 0) };
  } finally {
    await echo.close();
  }
}

process.on('message', (request: LibqiClientRequest) => {
  measure(request).then(
    (reply) => process.send!(reply),
    (err: Error) => process.send!({ error: err.message } satisfies LibqiClientReply),
  );
});
console.log(JSON.stringify({ ready: true }));

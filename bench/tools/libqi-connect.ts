/**
 * What `connect(url, { libqi })` costs against `connectLibqi(url)`, the direct libqi client: both call the kit's
 * qi_echo_service (`echo('hello')`) through the kit's qi_sd, in alternating rounds so that a loaded machine
 * slows both alike. Also, for reference, a qimessaging client through a Gateway on tcp:// (the bridge out of
 * process). Prints sequential p50 and calls/s with 64 calls in flight, per round and the median of the rounds.
 * Skips (exit 0) without the kit. Not part of `npm run bench`.
 *
 *   node --import tsx bench/tools/libqi-connect.ts [rounds=5] [seconds=2]
 */
import { connect, connectLibqi, createGateway } from '../../lib/index.js';
import { freePort, peerPresent, startPeer, type PeerProcess } from '../../spec/libqi/peer.js';

const rounds = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 2);
const SEQUENTIAL = 2_000;
const IN_FLIGHT = 64;

type Echo = (text: string) => Promise<unknown>;

async function p50(echo: Echo): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = process.hrtime.bigint();
    await echo('hello');
    times.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function callsPerSecond(echo: Echo): Promise<number> {
  const end = Date.now() + seconds * 1_000;
  let calls = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      await echo('hello');
      calls++;
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return calls / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  if (!peerPresent()) {
    console.log('skipped: the libqi peer kit is absent');
    return;
  }
  const peers: PeerProcess[] = [];
  const sdPort = await freePort();
  const echoPort = await freePort();
  const sd = `tcp://127.0.0.1:${sdPort}`;
  try {
    peers.push(await startPeer('qi_sd', [sd], { port: sdPort }));
    peers.push(await startPeer('qi_echo_service', [sd, `tcp://127.0.0.1:${echoPort}`], { port: echoPort }));
    const direct = await connectLibqi(sd);
    const bridged = await connect(sd, { libqi: true });
    await bridged.waitForService('Echo', { timeout: 10_000 });
    const gateway = await createGateway({ libqiDirectory: sd, listen: ['tcp://127.0.0.1:0'] });
    const remote = await connect(gateway.url);
    const clients: Record<string, Echo> = {};
    const directEcho = await direct.service('Echo');
    clients['connectLibqi (direct)'] = (text) => directEcho.call('echo', text);
    const bridgedEcho = await bridged.service('Echo');
    clients["connect(url, { libqi })"] = (text) => bridgedEcho.call('echo', text);
    const remoteEcho = await remote.service('Echo');
    clients['connect(gateway) over tcp'] = (text) => remoteEcho.call('echo', text);
    const results = new Map<string, { p50: number[]; rate: number[] }>(Object.keys(clients).map((name) => [name, { p50: [], rate: [] }]));
    for (const echo of Object.values(clients)) await p50(echo); // warm up
    for (let round = 1; round <= rounds; round++) {
      for (const [name, echo] of Object.entries(clients)) {
        const r = results.get(name)!;
        r.p50.push(await p50(echo));
        r.rate.push(await callsPerSecond(echo));
        console.log(`round ${round} ${name.padEnd(28)} p50 ${r.p50.at(-1)!.toFixed(0)} µs  ${r.rate.at(-1)!.toFixed(0)} calls/s (${IN_FLIGHT} in flight)`);
      }
    }
    console.log(`\nmedian of ${rounds} rounds (loadavg ${(await import('node:os')).loadavg()[0]!.toFixed(2)}):`);
    for (const [name, r] of results) console.log(`  ${name.padEnd(28)} p50 ${median(r.p50).toFixed(0)} µs  ${median(r.rate).toFixed(0)} calls/s`);
    await remote.close();
    await gateway.close();
    await bridged.close();
    await direct.close();
  } finally {
    for (const peer of peers.reverse()) await peer.stop();
  }
}

await main();

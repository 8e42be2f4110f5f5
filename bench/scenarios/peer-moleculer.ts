/**
 * A peer library as a baseline: Moleculer 0.15 over its TCP transporter, a client broker (this process) calling an
 * `echo` service on a service broker in its own process (bench/moleculer-role.ts), with the payload and window of
 * tcp-gateway-throughput. Ours is the via-gateway topology of that row: client (this process) → gateway process →
 * service process, one more hop than Moleculer's client → service. Both stay up for the row and alternate in pairs.
 */
import { ServiceBroker } from 'moleculer';
import { connect } from '../library.js';
import { paired, pairedRow, throughput, type Caller, type Row } from '../measure.js';
import { startRole, startScript } from '../processes.js';

export async function peerMoleculer(quick: boolean, pairs: number): Promise<Row> {
  // The same total and window as tcp-gateway-throughput.
  const total = Math.round(200_000 * (quick ? 0.1 : 1));
  const window = 1_000;

  // Ours has its own topology here, up for the whole row next to Moleculer's, and the two alternate in pairs:
  // `--only moleculer` then needs no other group.
  const { directory } = await startRole<{ directory: string; service: string }>('service');
  const { gateway } = await startRole<{ gateway: string }>('gateway', directory);
  const viaGateway = await connect(gateway);
  const service = await startScript<{ port: number; nodeID: string }>('bench/moleculer-role.ts');
  const broker = new ServiceBroker({
    nodeID: `bench-client-${process.pid}`,
    logger: false,
    // Moleculer would otherwise hook SIGINT/SIGTERM/exit of the bench process and call process.exit itself.
    skipProcessEventRegistration: true,
    // No UDP discovery (multicast is not there offline, nor needed): the service node is listed statically, as a
    // comma-separated `host:port/nodeID` string (the form Moleculer's typings accept; it takes an array too).
    transporter: { type: 'TCP', options: { udpDiscovery: false, urls: `127.0.0.1:${service.port}/${service.nodeID}` } },
  });
  try {
    const echo = await viaGateway.service('echo');
    const bytes = Buffer.alloc(64, 7);
    const ours: Caller = { call: () => echo.call('echo', bytes) };
    await broker.start();
    // The client learns the service through gossip, which runs every 2 s by default.
    await broker.waitForServices('echo', 30_000);
    // Not a Buffer: with Moleculer's default JSON serializer a Buffer goes out as {"type":"Buffer","data":[7,7,…]}
    // (two to four bytes of JSON per byte) and the service and the caller get that plain object, not bytes. A 64-character ASCII string is the
    // fair equivalent: 66 bytes of JSON, against the 64 bytes (plus a 2-byte CBOR header) of our binary payload.
    const text = 'x'.repeat(64);
    const reply = await broker.call('echo.echo', text);
    if (reply !== text) throw new Error(`Moleculer echo returned ${JSON.stringify(reply)}`);
    const moleculer: Caller = { call: () => broker.call('echo.echo', text) };
    // Ours' topology is new here, and its rate rose pair after pair after the one warm-up pair (0.79, 0.80, 1.07,
    // 1.00, 1.22 of its median in one run), as the tcp rows' did before they had three (tcp.ts). A million calls of
    // ours alone (~2 s) warm it as those do, without two more of Moleculer's 4-second measurements per warm-up pair.
    await throughput(ours, Math.round(1_000_000 * (quick ? 0.1 : 1)), window, window * 2);
    const result = await paired(
      () => throughput(moleculer, total, window, window * 2),
      () => throughput(ours, total, window, window * 2),
      pairs,
    );
    return pairedRow('peer-moleculer', 'calls/s', result, { atLeast: 10 }, 'baseline: Moleculer 0.15 TCP, JSON, 64-char string');
  } finally {
    await broker.stop();
    await viaGateway.close();
  }
}

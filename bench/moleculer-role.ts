/**
 * The service side of the peer-moleculer baseline, started by bench/processes.ts: `tsx bench/moleculer-role.ts`.
 * A Moleculer broker with one `echo` service on the TCP transporter (UDP discovery off, so it works offline on
 * loopback); it prints one JSON line with its port and node ID, and runs until its parent kills it (Moleculer's own
 * SIGTERM handler then calls `broker.stop()` and exits).
 */
import { ServiceBroker } from 'moleculer';

const nodeID = `bench-echo-${process.pid}`;
const broker = new ServiceBroker({
  nodeID,
  logger: false,
  // A random TCP port; peers find this node through the static `urls` list of the client broker.
  transporter: { type: 'TCP', options: { udpDiscovery: false, port: 0 } },
});
broker.createService({ name: 'echo', actions: { echo: (ctx) => ctx.params } });
await broker.start();
// The TCP transporter writes the port it listens on back into the local node's info.
const port = broker.registry.nodes.localNode?.port;
if (!port) throw new Error('the Moleculer TCP transporter did not report its port');
console.log(JSON.stringify({ port, nodeID }));

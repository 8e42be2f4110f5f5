/**
 * A host in a child process, for the lease specs: a directory on the shared JetStream bucket and one service
 * registered with it, listening on `NATS_URL/qi.child.SERVICE_NAME`. Prints `ready <pid>` once registered, then
 * lives until killed.
 *
 *   node --import tsx spec/directory/jetstream-host.ts NATS_URL SERVICE_NAME LEASE_MS [REPLICAS]
 */
import { createService, createServiceDirectory, jetStreamDirectory } from '../../lib/index.js';

const [servers, name, leaseMs, replicas] = process.argv.slice(2);
const directory = await createServiceDirectory({
  listen: ['memory://child-host-sd'],
  store: jetStreamDirectory({ servers: servers!, leaseMs: Number(leaseMs), replicas: Number(replicas ?? 1) }),
});
await createService(name!, { ping: () => 'pong', echo: (x: number) => x }, { directory: directory.url, listen: [`${servers}/qi.child.${name}`] });
console.log(`ready ${process.pid}`);
setInterval(() => {}, 60_000);

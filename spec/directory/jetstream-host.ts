/**
 * A host in a child process, for the lease specs: a directory on the shared JetStream bucket and one service
 * registered with it. Prints `ready <hostId>` once registered, then lives until killed.
 *
 *   node --import tsx spec/directory/jetstream-host.ts NATS_URL SERVICE_NAME LEASE_MS
 */
import { createService, createServiceDirectory, jetStreamDirectory } from '../../lib/index.js';

const [servers, name, leaseMs] = process.argv.slice(2);
const directory = await createServiceDirectory({
  listen: ['memory://child-host-sd'],
  store: jetStreamDirectory({ servers: servers!, leaseMs: Number(leaseMs) }),
});
await createService(name!, { ping: () => 'pong' }, { directory: directory.url });
console.log(`ready ${process.pid}`);
setInterval(() => {}, 60_000);

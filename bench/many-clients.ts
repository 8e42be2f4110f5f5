/**
 * One of the four client processes of many-connections, started by bench/scenarios/many-connections.ts:
 * `tsx bench/many-clients.ts <gateway> <clients> <shared connections>`. It binds `clients` echo clients twice: each
 * on a connection of its own ("many"), and all of them over `shared connections` connections ("few"). It announces
 * itself once bound, then on each IPC message {run: 'many' | 'few', calls} makes every client of that set call
 * `calls` times in turn, all clients at once, and answers with each call's latency in µs.
 */
import { connect, type Connection } from './library.js';
import { answerRuns } from './client-runs.js';

const [gateway, clientCount, sharedCount] = process.argv.slice(2);
const clients = Number(clientCount);
process.on('SIGTERM', () => process.exit(0));

const bind = (connection: Connection) => connection.service('echo');
type Echo = Awaited<ReturnType<typeof bind>>;
const own: Connection[] = [];
const shared: Connection[] = [];
const sets: Record<'many' | 'few', Echo[]> = { many: [], few: [] };
// Connect in batches: a thousand simultaneous handshakes are a load test of their own.
for (let i = 0; i < clients; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, clients - i) }, () => connect(gateway!)));
  own.push(...batch);
  sets.many.push(...(await Promise.all(batch.map(bind))));
}
for (let i = 0; i < Number(sharedCount); i++) shared.push(await connect(gateway!));
for (let i = 0; i < clients; i++) sets.few.push(await bind(shared[i % shared.length]!));

const payload = Buffer.alloc(64, 7);
answerRuns(sets, (client) => client.call('echo', payload));
console.log(JSON.stringify({ ready: true, connections: own.length + shared.length }));

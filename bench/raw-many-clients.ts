/**
 * The raw counterpart of bench/many-clients.ts, one of the four client processes of many-connections' raw
 * reference: `tsx bench/raw-many-clients.ts <relay port> <clients> <shared connections>`. The same clients pattern
 * with raw-relay.ts's length-prefixed frames: `clients` clients each on a connection of its own ("many"), and as
 * many over `shared connections` connections ("few"); the same IPC messages and answers.
 */
import { rawClient } from './raw-relay.js';
import { answerRuns } from './client-runs.js';

const [port, clientCount, sharedCount] = process.argv.slice(2);
const clients = Number(clientCount);
process.on('SIGTERM', () => process.exit(0));

type Raw = Awaited<ReturnType<typeof rawClient>>;
const sets: Record<'many' | 'few', Raw[]> = { many: [], few: [] };
for (let i = 0; i < clients; i += 50) {
  sets.many.push(...(await Promise.all(Array.from({ length: Math.min(50, clients - i) }, () => rawClient(Number(port))))));
}
// A raw client resolves its replies in order, so clients sharing a connection share one raw client.
const shared: Raw[] = [];
for (let i = 0; i < Number(sharedCount); i++) shared.push(await rawClient(Number(port)));
for (let i = 0; i < clients; i++) sets.few.push(shared[i % shared.length]!);

const payload = Buffer.alloc(64, 7);
answerRuns(sets, (client) => client.call(payload));
console.log(JSON.stringify({ ready: true, connections: sets.many.length + shared.length }));

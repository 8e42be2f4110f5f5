/**
 * What each attack of issue #13 costs now, measured: `npm run attacks` (node --expose-gc --import tsx).
 *
 * For each attack a fresh robot process (bench/attacks-robot.ts: directory + calc service + gateway on TCP, the
 * gateway on ws:// too) and a good client process (bench/attacks-good.ts: calc.add through the gateway, one call
 * every 2 ms) are started; the good client's p50 is taken for 1.5 s before, then this process plays the hostile
 * peer over real sockets, raw bytes where the attack is malformed (RawPeer below) and the library's own client
 * where it is well-formed but hostile. The robot reports its largest event-loop stall during the attack, its RSS
 * and heap (after gc before and after, and the peak), and every accepted link it closed, by side and error code.
 * One markdown row per attack. Sizes scaled down from the issue are said in the row.
 *
 *   npm run attacks [-- --only dag,bignum]
 * The attacks are in bench/attacks/, one file per group; the harness is bench/attacks/harness.ts.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { stopAll } from './processes.js';
import { floodAttacks } from './attacks/floods.js';
import { frameAttacks } from './attacks/frames.js';
import { measure } from './attacks/harness.js';
import { ownershipAttacks } from './attacks/ownership.js';
import { slowLinkAttacks } from './attacks/slow-links.js';

const attacks = [...frameAttacks, ...ownershipAttacks, ...slowLinkAttacks, ...floodAttacks];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',');
const chosen = attacks.filter((attack) => !only || only.some((key) => attack.key.startsWith(key)));
process.on('exit', stopAll);
// A hostile peer's own calls fail in every way: one left unhandled must not end the run (it is said, not hidden).
process.on('unhandledRejection', (error) => console.error(`# unhandled in the harness: ${(error as Error).name}: ${(error as Error).message}`));
const started = performance.now();
console.log(`# npm run attacks — ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('');
console.log('| attack | what happens now | time to that outcome | max event-loop stall | robot RSS MB before → peak → after | heap MB after gc before → peak → after | good client p50 before → during | load 1 min before/after |');
console.log('|---|---|---|---|---|---|---|---|');
for (const attack of chosen) console.log(await measure(attack));
console.log('');
console.log(`# ${chosen.length} attacks in ${((performance.now() - started) / 1000).toFixed(0)} s; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
process.exit(0);

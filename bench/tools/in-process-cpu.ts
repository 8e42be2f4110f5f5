/**
 * CPU per call of the library's own code, with no socket in the way: client, gateway and service in this process
 * on the memory transport (the memory-throughput row's topology), 64-byte echoes with 1,000 in flight. With no
 * system calls and one process, it varies less from run to run than the TCP figures, so it shows what a change to
 * the call path saves. `npx tsx bench/tools/in-process-cpu.ts [rounds] [--profile FILE]` (the profile: 50 µs samples
 * of the measured rounds, for bench/tools/profile-summary.mjs).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { connect, createGateway, createService, createServiceDirectory } from '../library.js';
import { throughput } from '../measure.js';

const rounds = Number(process.argv[2] ?? 5);
const profileAt = process.argv.indexOf('--profile');
const profileFile = profileAt > 0 ? process.argv[profileAt + 1] : undefined;
const calls = 300_000;

const directory = await createServiceDirectory({ listen: ['memory://cpu-sd'] });
const gateway = await createGateway({ directory: directory.url, listen: ['memory://cpu-gw'] });
const service = await createService('echo', { echo: (value: unknown) => value }, { directory: directory.url });
const connection = await connect(gateway.url);
const echo = await connection.service('echo');
const payload = Buffer.alloc(64, 7);
const caller = { call: () => echo.call('echo', payload) };
await throughput(caller, 200_000, 1_000, 0);

const inspector = new Session();
if (profileFile) {
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 50 });
  await inspector.post('Profiler.start');
}
for (let round = 0; round < rounds; round++) {
  const before = process.cpuUsage();
  const rate = await throughput(caller, calls, 1_000, 0);
  const used = process.cpuUsage(before);
  console.log(`${Math.round(rate).toLocaleString('en')} calls/s, ${(((used.user + used.system) / calls) * 1_000).toFixed(0)} ns of CPU per call`);
}
if (profileFile) writeFileSync(profileFile, JSON.stringify((await inspector.post('Profiler.stop')).profile));
await connection.close();
await service.close();
await gateway.close();
await directory.close();

/** Attacks 5c–5f: floods of well-formed requests (binds, registrations, huge names, subscriptions never read). */
import { connect, createService, type Connection } from '../../lib/index.js';
import { median } from '../measure.js';
import { ask, fmtCounts, MiB, sleep, type Attack } from './harness.js';

export const floodAttacks: Attack[] = [
  {
    key: 'bind-flood',
    name: '5c. bind flood on one link (2,000 binds of calc through the gateway, 50 at a time)',
    async run({ urls }) {
      const conn = await connect(urls.gateway);
      const start = performance.now();
      const counts: Record<string, number> = {};
      let firstRefusal = NaN;
      let said = '';
      const bound: Array<{ close(): Promise<void> }> = [];
      for (let i = 0; i < 2_000; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            conn.service('calc').then(
              (client) => (bound.push(client), (counts.ok = (counts.ok ?? 0) + 1)),
              (error: Error) => {
                if (Number.isNaN(firstRefusal)) firstRefusal = performance.now() - start;
                said ||= error.message.slice(0, 90);
                counts[error.name] = (counts[error.name] ?? 0) + 1;
              },
            ),
          ),
        );
      }
      const total = performance.now() - start;
      const other = await connect(urls.gateway);
      const fresh = await other.service('calc').then(
        async (client) => `ok (add → ${String(await client.call('add', 2, 3))})`,
        (error: Error) => error.name,
      );
      return {
        what: `${fmtCounts(counts)} (“${said}”); a bind from another link of the same host meanwhile: ${fresh}`,
        time: `first refusal at ${(firstRefusal / 1000).toFixed(2)} s, all 2,000 in ${(total / 1000).toFixed(1)} s`,
        cleanup: async () => {
          await other.close();
          await conn.close();
        },
      };
    },
  },
  ...(['service', 'gateway'] as const).map(
    (where): Attack => ({
      key: `slow-calls-${where}`,
      name: `5d. 200,000 slow calls on one link, ${where === 'service' ? 'straight to the service' : 'through the gateway'}`,
      async run({ urls, robot }) {
        const conn = await connect(where === 'service' ? urls.service : urls.gateway, { maxPendingCalls: 1_000_000 });
        const calc = await conn.service('calc');
        const start = performance.now();
        const counts: Record<string, number> = {};
        let said = '';
        let refusals = 0;
        let lastRefusal = 0;
        const calls: Array<Promise<void>> = [];
        for (let i = 0; i < 200_000; i++) {
          calls.push(
            calc.call('hold', 60_000).then(
              () => void (counts.ok = (counts.ok ?? 0) + 1),
              (error: Error) => {
                said ||= error.message.slice(0, 90);
                counts[error.name] = (counts[error.name] ?? 0) + 1;
                refusals++;
                lastRefusal = performance.now() - start;
              },
            ),
          );
          if (i % 5_000 === 4_999) await new Promise((resolve) => setImmediate(resolve));
        }
        const sentMs = performance.now() - start;
        const expected = where === 'service' ? 100_000 : 199_000;
        while (refusals < expected && performance.now() - start < 60_000) await sleep(50);
        const refusedMs = lastRefusal;
        const refused = fmtCounts(counts);
        await ask(robot, { cmd: 'release' });
        await Promise.race([Promise.all(calls), sleep(20_000)]);
        const settledMs = performance.now() - start;
        return {
          what: `before release: ${refused} (“${said}”); after release: ${fmtCounts(counts)}`,
          time: `sent in ${(sentMs / 1000).toFixed(1)} s, last refusal at ${(refusedMs / 1000).toFixed(1)} s, all settled ${(settledMs / 1000).toFixed(1)} s`,
          cleanup: () => conn.close(),
        };
      },
    }),
  ),
  ...(['gateway', 'service'] as const).map(
    (where): Attack => ({
      key: `never-reads-${where}`,
      name: `5e. a peer that calls chunk() (64 KiB replies) and never reads, ${where === 'service' ? 'straight to the service' : 'through the gateway'}`,
      async run({ urls, closes }) {
        const conn = await connect(where === 'service' ? urls.service : urls.gateway, { maxPendingCalls: 1_000_000 });
        const calc = await conn.service('calc');
        (conn.actor.getSnapshot().context as unknown as { session: { pause(): void } }).session.pause();
        const start = performance.now();
        let sent = 0;
        let cut = '';
        while (performance.now() - start < 10_000) {
          for (let i = 0; i < 500; i++, sent++) calc.call('chunk').catch(() => {});
          await sleep(10);
          const now = await closes();
          const key = Object.keys(now).find((k) => k.startsWith(where) && k.endsWith('LimitExceeded'));
          if (key) {
            cut = `${key} (“${now[key]!.first}”)`;
            break;
          }
        }
        const elapsed = performance.now() - start;
        return {
          what: cut ? `cut off after ${sent.toLocaleString('en')} calls: ${cut}` : `not cut off in 10 s but pushed back: the robot stopped reading the attacker, whose ${sent.toLocaleString('en')} calls pile up in its own process (limit maxBufferedBytes 64 MiB never reached)`,
          time: cut ? `${(elapsed / 1000).toFixed(1)} s to the cut` : `${(elapsed / 1000).toFixed(1)} s (the whole attack)`,
          cleanup: () => conn.close().catch(() => {}),
        };
      },
    }),
  ),
  {
    key: 'registrations',
    name: '5f. 21,050 registrations straight to the directory (one link 300, then 83 links × 250, 50 at a time)',
    async run({ urls }) {
      const conns: Connection[] = [];
      const start = performance.now();
      const counts: Record<string, number> = {};
      const said: Record<string, string> = {};
      let n = 0;
      for (const [links, each] of [[1, 300], [83, 250]] as const) {
        for (let l = 0; l < links; l++) {
          const conn = await connect(urls.directory);
          conns.push(conn);
          const directory = await conn.directory();
          for (let i = 0; i < each; i += 50) {
            await Promise.all(
              Array.from({ length: Math.min(50, each - i) }, () =>
                directory.register(`svc-${n++}`, ['tcp://127.0.0.1:1']).then(
                  () => void (counts.ok = (counts.ok ?? 0) + 1),
                  (error: Error) => {
                    said[error.name] ||= error.message.slice(0, 80);
                    counts[error.name] = (counts[error.name] ?? 0) + 1;
                  },
                ),
              ),
            );
          }
        }
      }
      const total = performance.now() - start;
      const reader = await connect(urls.gateway);
      const listStart = performance.now();
      const records = await reader.services().then(
        (list) => `${list.length.toLocaleString('en')} records`,
        (error: Error) => `FAILED, ${error.name} (“${error.message.slice(0, 110)}”)`,
      );
      const listMs = performance.now() - listStart;
      return {
        what: `${fmtCounts(counts)} (${Object.entries(said).map(([k, v]) => `${k}: “${v}”`).join('; ')}); a client's services() through the gateway then: ${records} in ${listMs.toFixed(0)} ms`,
        time: `${(total / 1000).toFixed(1)} s for all`,
        cleanup: async () => {
          await reader.close();
          for (const conn of conns) await conn.close();
        },
      };
    },
  },
  {
    key: 'long-names',
    name: '5f. three 6 MiB names registered straight to the directory',
    async run({ urls }) {
      const conn = await connect(urls.directory);
      const directory = await conn.directory();
      const results: string[] = [];
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        results.push(await directory.register(String(i).repeat(6 * MiB), ['tcp://127.0.0.1:1']).then(() => 'ok', (error: Error) => `${error.name} (“${error.message.slice(0, 70)}”)`));
        times.push(performance.now() - start);
      }
      const reader = await connect(urls.gateway);
      const records = await reader.services().then((list) => `${list.length} records`, (error: Error) => error.name);
      return {
        what: `${results.join(', ')}; a client's services() then: ${records}`,
        time: `${times.map((t) => t.toFixed(0)).join(', ')} ms per register (6 MiB sent each)`,
        cleanup: async () => {
          await reader.close();
          await conn.close();
        },
      };
    },
  },
  ...([4_096, 4_500] as const).map(
    (members): Attack => ({
      key: `meta-object-${members}`,
      name: `5f. a hostile service's meta-object: ${members.toLocaleString('en')} methods with 256-character names (${members === 4_096 ? 'the largest accepted' : 'over the limit'}), bound 20× through the gateway`,
      async run({ urls }) {
        const impl: Record<string, () => number> = {};
        for (let i = 0; i < members; i++) impl[`m${String(i).padStart(5, '0')}`.padEnd(256, 'x')] = () => i;
        const service = await createService('hostile', impl, { directory: urls.directory, listen: ['tcp://127.0.0.1:0'] });
        const conns: Connection[] = [];
        const times: number[] = [];
        const counts: Record<string, number> = {};
        let said = '';
        for (let i = 0; i < 20; i++) {
          const conn = await connect(urls.gateway);
          conns.push(conn);
          const start = performance.now();
          const kind = await Promise.race([
            conn.service('hostile').then(
              () => 'ok',
              (error: Error) => ((said ||= error.message.slice(0, 90)), error.name),
            ),
            sleep(5_000).then(() => 'no answer in 5 s'),
          ]);
          times.push(performance.now() - start);
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
        return {
          what: `binds: ${fmtCounts(counts)}${said ? ` (“${said}”)` : ''}`,
          time: `bind median ${median(times).toFixed(0)} ms, first ${times[0]!.toFixed(0)} ms`,
          cleanup: async () => {
            for (const conn of conns) await conn.close();
            await service.close();
          },
        };
      },
    }),
  ),
  {
    key: 'subscriptions',
    name: '5f. one link subscribed 4,200 times to the directory (2,100 bindings × serviceAdded, serviceRemoved) that never reads, while a service host registers and unregisters',
    async run({ urls, closes }) {
      const conn = await connect(urls.directory);
      const counts: Record<string, number> = {};
      let said = '';
      const start = performance.now();
      for (let i = 0; i < 2_100; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            const directory = await conn.service('ServiceDirectory');
            for (const signal of ['serviceAdded', 'serviceRemoved']) {
              await directory.on(signal, () => {}).then(
                () => void (counts.ok = (counts.ok ?? 0) + 1),
                (error: Error) => {
                  said ||= error.message.slice(0, 80);
                  counts[error.name] = (counts[error.name] ?? 0) + 1;
                },
              );
            }
          }),
        );
      }
      const subscribedMs = performance.now() - start;
      (conn.actor.getSnapshot().context as unknown as { session: { pause(): void } }).session.pause();
      const host = await connect(urls.directory);
      const hostDirectory = await host.directory();
      const churnStart = performance.now();
      let emissions = 0;
      let cut = '';
      while (performance.now() - churnStart < 30_000) {
        const id = await hostDirectory.register(`churn-${emissions}`, ['tcp://127.0.0.1:1']);
        await hostDirectory.unregister(id);
        emissions += 2;
        if (emissions % 20 === 0) {
          const now = await closes();
          const key = Object.keys(now).find((k) => k.startsWith('directory') && k.endsWith('LimitExceeded'));
          if (key) {
            cut = `${key} (“${now[key]!.first}”)`;
            break;
          }
        }
      }
      const churnMs = performance.now() - churnStart;
      return {
        what: `subscriptions: ${fmtCounts(counts)} (“${said}”) in ${(subscribedMs / 1000).toFixed(1)} s; then ${emissions} emissions: ${cut ? `cut off: ${cut}` : 'NOT cut off'}`,
        time: `${(churnMs / 1000).toFixed(1)} s of churn to the cut`,
        cleanup: async () => {
          await host.close();
          await conn.close().catch(() => {});
        },
      };
    },
  },
];

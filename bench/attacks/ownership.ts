/** Attack 4: unregistering, through the gateway and directly, what someone else registered. */
import { connect } from '../../lib/index.js';
import { median } from '../measure.js';
import { fmtCounts, type Attack } from './harness.js';

export const ownershipAttacks: Attack[] = [
  {
    key: 'register',
    name: '4. register/unregister through the gateway and directly',
    async run({ urls }) {
      const viaGateway = await connect(urls.gateway);
      const direct = await connect(urls.directory);
      const gd = await viaGateway.directory();
      const dd = await direct.directory();
      const calcId = (await dd.lookup('calc')).id;
      const tries = async (label: string, call: () => Promise<unknown>): Promise<string> => {
        const counts: Record<string, number> = {};
        const times: number[] = [];
        let first = '';
        for (let i = 0; i < 50; i++) {
          const start = performance.now();
          const kind = await call().then(() => 'ok', (error: Error) => ((first ||= error.message.slice(0, 90)), error.name));
          times.push(performance.now() - start);
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
        return `${label}: ${fmtCounts(counts)} (“${first}”) in ${median(times).toFixed(2)} ms`;
      };
      const lines = [
        await tries("gateway register('calc', ['tcp://attacker:4444'])", () => gd.register('calc', ['tcp://attacker:4444'])),
        await tries('gateway unregister(calc)', () => gd.unregister(calcId)),
        await tries("direct register('calc', ['tcp://attacker:4444'])", () => dd.register('calc', ['tcp://attacker:4444'])),
        await tries("direct register('calc2', ['tcp://attacker:4444'])", () => dd.register('calc2', ['tcp://attacker:4444'])),
        await tries('direct unregister(calc)', () => dd.unregister(calcId)),
      ];
      const after = await dd.lookup('calc');
      lines.push(`calc afterwards: id ${after.id === calcId ? 'unchanged' : 'CHANGED'}, endpoints ${after.endpoints.join(' ')}`);
      return {
        what: `50 tries each; ${lines.join('; ')}`,
        time: 'median per refusal above',
        cleanup: async () => {
          await viaGateway.close();
          await direct.close();
        },
      };
    },
  },
];

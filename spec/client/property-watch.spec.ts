/** Watching a property may start with its current value (`{ current: true }`), so a view needs no separate get. */
import { expect } from 'chai';
import { property } from '../../lib/index.js';
import { eventually } from '../helpers.js';
import { Topology } from '../e2e/topology.js';

describe('watching a property', () => {
  for (const mode of ['direct', 'gateway'] as const) {
    it(`offers the current value first, then every change (${mode})`, async () => {
      const topology = await Topology.start(mode, 'memory');
      try {
        const robot = { battery: property(80, { readOnly: true }) };
        await topology.addService('robot', robot);
        const client = await (await topology.connectFor('robot')).service<typeof robot>('robot');
        const withCurrent: number[] = [];
        const changesOnly: number[] = [];
        await client.property('battery').on((level) => withCurrent.push(level), { current: true });
        await client.property('battery').on((level) => changesOnly.push(level));
        expect(withCurrent).to.deep.equal([80]);
        robot.battery.set(79);
        await eventually(() => withCurrent.length === 2 && changesOnly.length === 1, 1_000, 'the change');
        expect(withCurrent).to.deep.equal([80, 79]);
        expect(changesOnly).to.deep.equal([79]);
      } finally {
        await topology.close();
      }
    });
  }
});

/**
 * One rule for a call's signal: aborted, a call fails with CanceledError; timed out (`AbortSignal.timeout`), with
 * TimeoutError, like a call's own `timeout`. And a refused property value names the property.
 */
import { expect } from 'chai';
import { BadArgumentsError, CanceledError, property, TimeoutError } from '../../lib/index.js';
import { rejection } from '../helpers.js';
import { Topology } from '../e2e/topology.js';

describe('a call whose signal fires', () => {
  let topology: Topology;
  const impl = { hang: () => new Promise<never>(() => {}), volume: property(50, { validate: (v) => typeof v === 'number' && v <= 100 }) };
  beforeEach(async () => {
    topology = await Topology.start('direct', 'memory');
    await topology.addService('radio', impl);
  });
  afterEach(() => topology.close());

  it('fails with TimeoutError for AbortSignal.timeout, CanceledError for an abort', async () => {
    const radio = await (await topology.connectFor('radio')).service<typeof impl>('radio');
    await rejection(radio.with({ signal: AbortSignal.timeout(20) }).hang(), TimeoutError);
    const controller = new AbortController();
    const canceled = rejection(radio.with({ signal: controller.signal }).hang(), CanceledError);
    controller.abort();
    await canceled;
    await rejection(radio.with({ signal: AbortSignal.abort() }).hang(), CanceledError);
  });

  it('names the property whose value was refused', async () => {
    const radio = await (await topology.connectFor('radio')).service<typeof impl>('radio');
    const refused = await rejection(radio.property('volume').set(200), BadArgumentsError);
    expect(refused.message).to.contain('volume').and.to.contain('200');
  });
});

/**
 * Timeouts driven by sinon's fake clock: no real waiting. Only setTimeout/clearTimeout are faked; links flush on
 * process.nextTick, which keeps running for real, so frames still flow while the clock stands still.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CanceledError, ServiceGoneError, TimeoutError, withContext } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { Topology } from './topology.js';

for (const mode of ['direct', 'gateway'] as const) {
  describe(`timeouts on a fake clock (${mode}, memory)`, () => {
    let topology: Topology;
    let clock: sinon.SinonFakeTimers | undefined;
    const canceledAtService: string[] = [];
    const service = {
      wait: withContext(({ signal }, label: string) => {
        return new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => {
            canceledAtService.push(label);
            reject(signal.reason);
          });
        });
      }),
    };

    beforeEach(async () => {
      canceledAtService.length = 0;
      topology = await Topology.start(mode, 'memory');
      await topology.addService('waiter', service);
    });
    afterEach(async () => {
      clock?.restore();
      clock = undefined;
      await topology.close();
    });

    it('rejects with Timeout exactly when the clock passes the deadline, and cancels at the service', async () => {
      const client = await (await topology.connectFor('waiter')).service<typeof service>('waiter');
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let outcome: unknown;
      const call = client.with({ timeout: 60_000 }).wait('long').catch((err: unknown) => (outcome = err));
      await clock.tickAsync(59_999);
      expect(outcome).to.equal(undefined);
      await clock.tickAsync(1);
      await call;
      expect(outcome).to.be.instanceOf(TimeoutError);
      await eventually(() => canceledAtService.includes('long'), 1_000, 'the cancel to reach the service');
    });

    it('clears the timer of a call that settled before its deadline', async () => {
      const client = await (await topology.connectFor('waiter')).service<typeof service>('waiter');
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const controller = new AbortController();
      const call = rejection(client.with({ timeout: 1_000, signal: controller.signal }).wait('short'), CanceledError);
      controller.abort();
      await call;
      expect(clock.countTimers()).to.equal(0);
    });

    if (mode === 'gateway') {
      it('fails a cancellable call with ServiceGone when the service dies first; the late abort is harmless', async () => {
        const client = await (await topology.connectFor('waiter')).service<typeof service>('waiter');
        const controller = new AbortController();
        const call = rejection(client.with({ signal: controller.signal }).wait('orphan'), ServiceGoneError);
        await eventually(() => topology.services.get('waiter')!.stats.calls === 1, 1_000, 'the call to arrive');
        await topology.services.get('waiter')!.close();
        await call;
        controller.abort();
        expect(topology.gateway!.actor.getSnapshot().value).to.equal('ready');
      });
    }
  });
}

/**
 * Per-call progress (issue #14, item 8): a long action reports progress to its own caller only, direct and
 * through a gateway. A caller asks with `onProgress`; the handler reports with `context.progress(value)`. Reports
 * of one caller's call never reach another caller, stop with a cancel, and are dropped once the call is answered;
 * a caller that did not ask is sent none.
 */
import { expect } from 'chai';
import { CanceledError, withContext, type CallContext, type Service } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { MATRIX, Topology } from './topology.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the handlers saw, for the assertions on the service's side. */
const seen = { abortedAt: -1, late: undefined as ((value: unknown) => void) | undefined };

const motion = {
  /** Three steps towards (x, y), each reported to the caller. */
  moveTo: withContext(async ({ progress }: CallContext, x: number, y: number) => {
    for (let step = 1; step <= 3; step++) {
      progress({ x, y, step });
      await sleep(5);
    }
    return `at ${x},${y}`;
  }),
  /** Reports every 5 ms until canceled, and once more after (that one must go nowhere). */
  walk: withContext(async ({ progress, signal }: CallContext) => {
    for (let step = 1; !signal.aborted; step++) {
      progress(step);
      await sleep(5);
    }
    seen.abortedAt = Date.now();
    progress('after the cancel');
  }),
  /** Answers at once, keeping its `progress` for the test to call after the reply. */
  quick: withContext(({ progress }: CallContext) => {
    seen.late = progress;
    return 'done';
  }),
};

interface Motion {
  moveTo(x: number, y: number): Promise<string>;
  walk(): Promise<void>;
  quick(): Promise<string>;
}

for (const { mode, transport } of MATRIX) {
  describe(`per-call progress (${mode}, ${transport})`, () => {
    let topology: Topology;
    let service: Service;

    beforeEach(async () => {
      topology = await Topology.start(mode, transport);
      service = await topology.addService('motion', motion);
      seen.abortedAt = -1;
      seen.late = undefined;
    });
    afterEach(() => topology.close());

    it('reports each caller its own progress only, two callers of one moveTo at once', async () => {
      const [a, b] = await Promise.all([topology.connectFor('motion'), topology.connectFor('motion')]);
      const [ma, mb] = await Promise.all([a.service<Motion>('motion'), b.service<Motion>('motion')]);
      const fromA: unknown[] = [];
      const fromB: unknown[] = [];
      const [ra, rb] = await Promise.all([
        ma.with({ onProgress: (value) => fromA.push(value) }).moveTo(1, 2),
        mb.with({ onProgress: (value) => fromB.push(value) }).call('moveTo', 3, 4),
      ]);
      expect([ra, rb]).to.deep.equal(['at 1,2', 'at 3,4']);
      expect(fromA).to.deep.equal([1, 2, 3].map((step) => ({ x: 1, y: 2, step })));
      expect(fromB).to.deep.equal([1, 2, 3].map((step) => ({ x: 3, y: 4, step })));
    });

    it('keeps two calls of one client apart too', async () => {
      const m = await (await topology.connectFor('motion')).service<Motion>('motion');
      const first: unknown[] = [];
      const second: unknown[] = [];
      await Promise.all([m.with({ onProgress: (v) => first.push(v) }).moveTo(1, 1), m.with({ onProgress: (v) => second.push(v) }).moveTo(2, 2)]);
      expect(first.map((v) => (v as { x: number }).x)).to.deep.equal([1, 1, 1]);
      expect(second.map((v) => (v as { x: number }).x)).to.deep.equal([2, 2, 2]);
    });

    it('sends a caller that did not ask no progress at all', async () => {
      const m = await (await topology.connectFor('motion')).service<Motion>('motion');
      expect(await m.moveTo(5, 6)).to.equal('at 5,6');
      expect(service.stats.progressFrames, 'no Progress frame sent').to.equal(0);
      expect(service.stats.droppedProgress, 'the three reports dropped at the service').to.equal(3);
    });

    it('stops the reports when the call is canceled mid-progress', async () => {
      const m = await (await topology.connectFor('motion')).service<Motion>('motion');
      const controller = new AbortController();
      const reports: unknown[] = [];
      const walking = m.with({
        signal: controller.signal,
        onProgress: (value) => {
          reports.push(value);
          if (reports.length === 2) controller.abort();
        },
      }).walk();
      await rejection(walking, CanceledError);
      const atCancel = reports.length;
      expect(atCancel).to.equal(2);
      await eventually(() => seen.abortedAt > 0, 2_000, "the handler's signal to fire");
      await sleep(30);
      expect(reports, 'nothing after the cancel').to.have.length(atCancel);
      expect(service.stats.droppedProgress, 'the report after the cancel is dropped at the service').to.be.at.least(1);
    });

    it('drops progress sent after the reply', async () => {
      const m = await (await topology.connectFor('motion')).service<Motion>('motion');
      const reports: unknown[] = [];
      expect(await m.with({ onProgress: (v) => reports.push(v) }).quick()).to.equal('done');
      seen.late!('too late');
      await sleep(30);
      expect(reports).to.deep.equal([]);
      expect(service.stats.progressFrames).to.equal(0);
      expect(service.stats.droppedProgress).to.equal(1);
    });
  });
}

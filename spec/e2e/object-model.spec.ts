import { expect } from 'chai';
import {
  BadArgumentsError,
  CanceledError,
  connect,
  NoSuchMemberError,
  property,
  signal,
  TimeoutError,
  withContext,
  type Service,
} from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { MATRIX, Topology, transportOptions } from './topology.js';

/** A service with one of each kind of member; `ticker.tick` and `ticker.level` are its service-side handles. */
function tickerService() {
  const ticker = {
    tick: signal<[n: number, label: string]>(),
    quiet: signal<[]>(),
    level: property(5, { validate: (v) => typeof v === 'number' && v >= 0 && v <= 10 }),
    model: property('nao', { readOnly: true }),
    posted: [] as string[],
    record(text: string) {
      ticker.posted.push(text);
    },
    emit(count: number) {
      for (let n = 1; n <= count; n++) ticker.tick.emit(n, `#${n}`);
    },
    aborted: 0,
    slow: withContext(
      ({ signal: abort }, ms: number) =>
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => resolve('finished'), ms);
          abort.addEventListener('abort', () => {
            clearTimeout(timer);
            ticker.aborted++;
            reject(new Error('stopped'));
          });
        }),
    ),
    quick: () => 'quick',
    /** Answers later without reading its context: its call is in flight only once it has returned a promise. */
    later: (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve('late'), ms)),
  };
  return ticker;
}

function stats(service: Service) {
  return service.stats;
}

for (const { mode, transport } of MATRIX) {
  describe(`the service object model (${mode}, ${transport})`, () => {
    let topology: Topology;
    let ticker: ReturnType<typeof tickerService>;
    let service: Service;

    beforeEach(async () => {
      topology = await Topology.start(mode, transport);
      ticker = tickerService();
      service = await topology.addService('ticker', ticker);
    });
    afterEach(() => topology.close());

    const client = async () => (await topology.connectFor('ticker')).service<typeof ticker>('ticker');

    describe('signals', () => {
      it('delivers emissions in order to a subscriber until it unsubscribes', async () => {
        const tick = await client();
        const seen: Array<[number, string]> = [];
        const listener = (n: number, label: string) => void seen.push([n, label]);
        await tick.on('tick', listener);
        ticker.emit(50);
        await eventually(() => seen.length === 50, 2_000, '50 emissions');
        expect(seen.map(([n]) => n)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(seen[0]).to.deep.equal([1, '#1']);
        await tick.off('tick', listener);
        ticker.emit(3);
        await tick.quick();
        expect(seen).to.have.length(50);
      });

      it('costs no frame for a signal with no subscriber', async () => {
        const tick = await client();
        await tick.on('quiet', () => {});
        ticker.emit(10);
        await tick.quick();
        expect(stats(service).emissions).to.equal(0);
        expect(stats(service).eventFrames).to.equal(0);
      });

      it('delivers to 100 subscribers on 3 connections exactly once each, in order', async function () {
        this.timeout(10_000);
        const connections = await Promise.all([0, 1, 2].map(() => topology.connectFor('ticker')));
        const received: number[][] = Array.from({ length: 100 }, () => []);
        await Promise.all(
          received.map(async (log, i) => {
            const subscriber = await connections[i % 3]!.service<typeof ticker>('ticker');
            await subscriber.on('tick', (n) => void log.push(n));
          }),
        );
        ticker.emit(20);
        const expected = Array.from({ length: 20 }, (_, i) => i + 1);
        await eventually(() => received.every((log) => log.length >= 20), 5_000, 'every subscriber to get 20 events');
        await new Promise((resolve) => setTimeout(resolve, 20));
        for (const log of received) expect(log).to.deep.equal(expected);
        if (mode === 'gateway') {
          // The fan-out is at the gateway: the service sent one frame per emission, not one per subscriber.
          expect(stats(service).eventFrames).to.equal(20);
        } else {
          expect(stats(service).eventFrames).to.equal(20 * 100);
        }
      });

      it('drops the upstream subscription when the last subscriber leaves', async () => {
        const [a, b] = await Promise.all([client(), client()]);
        const first = () => {};
        const second = () => {};
        await a.on('tick', first);
        await b.on('tick', second);
        await a.off('tick', first);
        ticker.emit(1);
        await b.quick();
        expect(stats(service).eventFrames).to.be.greaterThan(0);
        await b.off('tick', second);
        await b.quick();
        const before = stats(service).eventFrames;
        ticker.emit(5);
        await b.quick();
        expect(stats(service).eventFrames).to.equal(before);
      });

      it('lets a listener unsubscribe itself from inside the listener', async () => {
        const tick = await client();
        const seen: number[] = [];
        const once = (n: number) => {
          seen.push(n);
          void tick.off('tick', once);
        };
        const other: number[] = [];
        await tick.on('tick', once);
        await tick.on('tick', (n) => void other.push(n));
        ticker.emit(3);
        await eventually(() => other.length === 3, 1_000, 'the other listener');
        expect(seen).to.deep.equal([1]);
      });

      it('keeps delivering to other listeners when one throws, and the link stays up', async () => {
        const errors: unknown[] = [];
        const connection = await topology.connectFor('ticker');
        const tick = await connection.service<typeof ticker>('ticker', { onListenerError: (err) => errors.push(err) });
        const seen: number[] = [];
        await tick.on('tick', () => {
          throw new Error('listener bug');
        });
        await tick.on('tick', (n) => void seen.push(n));
        ticker.emit(3);
        await eventually(() => seen.length === 3, 1_000, 'the healthy listener');
        expect(errors).to.have.length(3);
        expect(await tick.quick()).to.equal('quick');
      });

      it('iterates a signal with for await, ending when the binding ends', async () => {
        const tick = await client();
        const seen: number[] = [];
        const reading = (async () => {
          for await (const [n] of tick.signal('tick')) seen.push(n);
        })();
        await eventually(() => stats(service).calls > 0 || mode === 'gateway', 1_000, 'the subscription');
        await new Promise((resolve) => setTimeout(resolve, 20));
        ticker.emit(4);
        await eventually(() => seen.length === 4, 1_000, 'four events');
        await tick.close();
        await reading;
        expect(seen).to.deep.equal([1, 2, 3, 4]);
      });

      it('refuses to subscribe to a member that is not a signal or property', async () => {
        const tick = await client();
        await rejection(tick.on('record' as 'tick', () => {}), NoSuchMemberError);
      });
    });

    describe('properties', () => {
      it('gets, sets and watches a property', async () => {
        const tick = await client();
        const level = tick.property('level');
        expect(await level.get()).to.equal(5);
        const changes: number[] = [];
        await level.on((value) => void changes.push(value));
        await level.set(7);
        expect(await level.get()).to.equal(7);
        expect(ticker.level.get()).to.equal(7);
        ticker.level.set(9);
        await eventually(() => changes.length === 2, 1_000, 'two changes');
        expect(changes).to.deep.equal([7, 9]);
      });

      it('refuses a value the service rejects, leaving it unchanged', async () => {
        const level = (await client()).property('level');
        const error = await rejection(level.set(42), BadArgumentsError);
        expect(error.message).to.contain('42');
        expect(await level.get()).to.equal(5);
      });

      it('refuses to set a read-only property', async () => {
        const model = (await client()).property('model');
        // @ts-expect-error a read-only property has no `set` in the types; whoever calls it anyway is refused
        expect((await rejection(model.set('pepper'), BadArgumentsError)).message).to.contain('read-only');
        expect(await model.get()).to.equal('nao');
      });
    });

    describe('posts', () => {
      it('runs a posted method without an answer, and drops a post to an unknown member', async () => {
        const tick = await client();
        tick.post('record', 'one');
        (tick.post as (method: string, ...args: unknown[]) => void)('record', 'too', 'many');
        tick.post('record', 'two');
        expect(() => (tick.post as (method: string) => void)('nope')).to.throw(NoSuchMemberError);
        await eventually(() => ticker.posted.length === 2, 1_000, 'the posts');
        expect(ticker.posted).to.deep.equal(['one', 'two']);
        expect(stats(service).droppedPosts).to.equal(1);
      });
    });

    describe('cancellation and timeouts', () => {
      it('cancels a call: the caller gets Canceled at once and the handler sees its signal fire', async () => {
        const tick = await client();
        const controller = new AbortController();
        const call = rejection(tick.with({ signal: controller.signal }).slow(10_000), CanceledError);
        await eventually(() => stats(service).calls > 0, 1_000, 'the call to arrive');
        controller.abort();
        await call;
        await eventually(() => ticker.aborted === 1, 1_000, 'the handler to be aborted');
        expect(await tick.quick()).to.equal('quick');
      });

      it('cancels a call to a method that answers later without reading its signal: its late answer is dropped', async () => {
        const tick = await client();
        const controller = new AbortController();
        const call = rejection(tick.with({ signal: controller.signal }).later(50), CanceledError);
        await eventually(() => stats(service).calls > 0, 1_000, 'the call to arrive');
        controller.abort();
        await call;
        await eventually(() => stats(service).canceled === 1, 1_000, 'the service to honour the cancel');
        await new Promise((resolve) => setTimeout(resolve, 80));
        expect(stats(service).errors).to.equal(0);
        expect(await tick.later(1)).to.equal('late');
      });

      it('makes a cancel after the answer harmless', async () => {
        const tick = await client();
        const controller = new AbortController();
        expect(await tick.with({ signal: controller.signal }).slow(1)).to.equal('finished');
        controller.abort();
        expect(await tick.quick()).to.equal('quick');
        expect(ticker.aborted).to.equal(0);
      });

      it('rejects with Timeout and cancels the call at the service', async () => {
        const tick = await client();
        const error = await rejection(tick.with({ timeout: 20 }).slow(10_000), TimeoutError);
        expect(error.message).to.contain('20 ms');
        await eventually(() => ticker.aborted === 1, 1_000, 'the handler to be aborted');
      });

      it('applies a per-client default timeout', async () => {
        const connection = await topology.connectFor('ticker');
        const tick = await connection.service<typeof ticker>('ticker', { timeout: 20 });
        await rejection(tick.slow(10_000), TimeoutError);
        expect(await tick.slow(1)).to.equal('finished');
      });
    });
  });
}

for (const { mode, transport } of MATRIX) {
  describe(`the directory for clients (${mode}, ${transport})`, () => {
    let topology: Topology;
    beforeEach(async () => {
      topology = await Topology.start(mode, transport);
    });
    afterEach(() => topology.close());

    /** Through the gateway in gateway mode; straight to the directory otherwise. */
    const connectToDirectory = () => connect(topology.gateway?.url ?? topology.directory.url, transportOptions(topology.transport));

    it('lists services and signals serviceAdded / serviceRemoved', async () => {
      const connection = await connectToDirectory();
      try {
        const directory = await connection.directory();
        const added: string[] = [];
        const removed: string[] = [];
        await directory.on('serviceAdded', (name) => void added.push(name));
        await directory.on('serviceRemoved', (name) => void removed.push(name));
        const tts = await topology.addService('tts', { say: (text: string) => text });
        await eventually(() => added.includes('tts'), 1_000, 'serviceAdded(tts)');
        expect((await connection.services()).map((s) => s.name)).to.include('tts');
        await tts.close();
        await eventually(() => removed.includes('tts'), 1_000, 'serviceRemoved(tts)');
      } finally {
        await connection.close();
      }
    });

    it('waits for a service that registers later', async () => {
      const connection = await connectToDirectory();
      try {
        const waiting = connection.waitForService('late', { timeout: 2_000 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await topology.addService('late', { hello: () => 'hi' });
        const record = await waiting;
        expect(record.name).to.equal('late');
        expect(await connection.waitForService('late')).to.deep.equal(record);
      } finally {
        await connection.close();
      }
    });

    it('stops waiting when aborted, or on timeout', async () => {
      const connection = await connectToDirectory();
      try {
        const controller = new AbortController();
        const aborted = rejection(connection.waitForService('never', { signal: controller.signal }), CanceledError);
        controller.abort();
        await aborted;
        await rejection(connection.waitForService('never', { timeout: 20 }), TimeoutError);
      } finally {
        await connection.close();
      }
    });
  });
}

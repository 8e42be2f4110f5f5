/** Everything in one process on the memory transport, via a gateway: throughput and signal fan-out. */
import { connect, createGateway, createService, createServiceDirectory, signal, type Connection, type Service } from '../library.js';
import { paired, pairedRow, throughput, type Row } from '../measure.js';
import { raw, rawRelay } from './tcp.js';

async function topology(name: string, implementation: object) {
  const directory = await createServiceDirectory({ listen: [`memory://bench-${name}-sd`] });
  const gateway = await createGateway({ directory: directory.url, listen: [`memory://bench-${name}-gw`] });
  const service = await createService(name, implementation, { directory: directory.url });
  return {
    gateway,
    service,
    close: async () => {
      await service.close();
      await gateway.close();
      await directory.close();
    },
  };
}

/** memory-throughput: via gateway in one process, against the raw three-process TCP relay, in pairs. */
export async function memoryThroughput(quick: boolean, pairs: number): Promise<Row> {
  const baseline = await rawRelay();
  const t = await topology('memecho', { echo: (value: unknown) => value });
  const connection = await connect(t.gateway.url);
  try {
    const echo = await connection.service('memecho');
    const payload = Buffer.alloc(64, 7);
    const total = quick ? 20_000 : 400_000;
    const result = await paired(
      () => throughput(raw(baseline.viaRelay, payload), total, 1_000, 2_000),
      () => throughput({ call: () => echo.call('echo', payload) }, total, 1_000, 2_000),
      pairs,
    );
    return pairedRow('memory-throughput', 'calls/s', result, { atLeast: 1.0 }, 'baseline: raw 3-process TCP relay');
  } finally {
    baseline.close();
    await connection.close();
    await t.close();
  }
}

type Tick = ReturnType<typeof signal<[n: number]>>;

/**
 * signal-fanout: 1,000 subscribers on 10 connections (ours) against one subscriber on its own connection
 * (baseline, a hundred times the emissions so that it lasts long enough to time), each on its own signal of the same service, both subscribed for the whole row and measured in pairs.
 * The target is exact: one upstream frame per emission to the 1,000, in every pair.
 */
export async function signalFanout(quick: boolean, pairs: number): Promise<Row> {
  const emissions = quick ? 50 : 500;
  const ticker = { tick: signal<[n: number]>(), single: signal<[n: number]>() };
  const t = await topology('ticker', ticker);
  const links: Connection[] = [];
  try {
    const many = await subscribe(t, links, 'tick', 10, 1_000);
    const one = await subscribe(t, links, 'single', 1, 1);
    let frames = 0;
    let emitted = 0;
    const result = await paired(
      // A hundred times the emissions for the one subscriber: 500 events took well under a millisecond, too short
      // to time (its pairs' ratios ran from 1.1 to 21).
      () => one(ticker.single, emissions * 100),
      async () => {
        const before = t.service.stats.eventFrames;
        const rate = await many(ticker.tick, emissions);
        frames += t.service.stats.eventFrames - before;
        emitted += emissions;
        return rate;
      },
      pairs,
    );
    const ok = frames === emitted;
    return {
      ...pairedRow('signal-fanout (1,000 subscribers)', 'events/s', result, undefined, `upstream frames ${frames} for ${emitted} emissions (warm-up included)`),
      target: 'one upstream frame per emission',
      verdict: ok ? 'pass' : 'short',
    };
  } finally {
    await Promise.all(links.map((link) => link.close()));
    await t.close();
  }
}

/** Subscribes `subscribers` clients over `connections` new connections to `event`; returns a timed emitter. */
async function subscribe(
  t: { gateway: { url: string }; service: Service },
  links: Connection[],
  event: 'tick' | 'single',
  connections: number,
  subscribers: number,
): Promise<(tick: Tick, emissions: number) => Promise<number>> {
  const mine = await Promise.all(Array.from({ length: connections }, () => connect(t.gateway.url)));
  links.push(...mine);
  let delivered = 0;
  let expected = Infinity;
  let done: () => void = () => {};
  await Promise.all(
    Array.from({ length: subscribers }, async (_, i) => {
      const client = await mine[i % connections]!.service<{ tick: Tick; single: Tick }>('ticker');
      await client.on(event, () => {
        if (++delivered === expected) done();
      });
    }),
  );
  return async (tick, emissions) => {
    delivered = 0;
    expected = subscribers * emissions;
    const allDelivered = new Promise<void>((resolve) => (done = resolve));
    const started = process.hrtime.bigint();
    for (let n = 0; n < emissions; n++) tick.emit(n);
    await allDelivered;
    return expected / (Number(process.hrtime.bigint() - started) / 1e9);
  };
}

/** Everything in one process on the memory transport, via a gateway: throughput and signal fan-out. */
import { connect, createGateway, createService, createServiceDirectory, signal, type Service } from '../library.js';
import { row, throughput, type Row } from '../measure.js';

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

/** memory-throughput: via gateway in one process, against the raw three-process TCP relay of this run. */
export async function memoryThroughput(quick: boolean, rawRelayRate: number): Promise<Row> {
  const t = await topology('memecho', { echo: (value: unknown) => value });
  const connection = await connect(t.gateway.url);
  try {
    const echo = await connection.service('memecho');
    const payload = Buffer.alloc(64, 7);
    const rate = await throughput({ call: () => echo.call('echo', payload) }, quick ? 20_000 : 200_000, 1_000);
    return row('memory-throughput', 'calls/s', rate, rawRelayRate, { atLeast: 1.0 }, 'baseline: raw 3-process TCP relay');
  } finally {
    await connection.close();
    await t.close();
  }
}

/** signal-fanout: 1,000 subscribers on 10 connections against one subscriber; one upstream frame per emission. */
export async function signalFanout(quick: boolean): Promise<Row> {
  const emissions = quick ? 50 : 500;
  const ticker = { tick: signal<[n: number]>() };
  const t = await topology('ticker', ticker);
  try {
    const baseline = await deliveryRate(t, ticker, 1, 1, emissions);
    const before = t.service.stats.eventFrames;
    const ours = await deliveryRate(t, ticker, 10, 1_000, emissions);
    const upstreamFrames = t.service.stats.eventFrames - before;
    const oneFramePerEmission = upstreamFrames === emissions;
    const result = row('signal-fanout (1,000 subscribers)', 'events/s', ours, baseline, { atLeast: 0 }, `upstream frames ${upstreamFrames} for ${emissions} emissions`);
    return { ...result, target: 'one upstream frame per emission', pass: oneFramePerEmission };
  } finally {
    await t.close();
  }
}

async function deliveryRate(
  t: { gateway: { url: string }; service: Service },
  ticker: { tick: ReturnType<typeof signal<[n: number]>> },
  connections: number,
  subscribers: number,
  emissions: number,
): Promise<number> {
  const links = await Promise.all(Array.from({ length: connections }, () => connect(t.gateway.url)));
  try {
    let delivered = 0;
    const expected = subscribers * emissions;
    let done!: () => void;
    const allDelivered = new Promise<void>((resolve) => (done = resolve));
    await Promise.all(
      Array.from({ length: subscribers }, async (_, i) => {
        const client = await links[i % connections]!.service<typeof ticker>('ticker');
        await client.on('tick', () => {
          if (++delivered === expected) done();
        });
      }),
    );
    const started = process.hrtime.bigint();
    for (let n = 0; n < emissions; n++) ticker.tick.emit(n);
    await allDelivered;
    return expected / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await Promise.all(links.map((link) => link.close()));
  }
}

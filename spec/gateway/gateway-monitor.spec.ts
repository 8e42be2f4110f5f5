/**
 * The gateway's monitor: `conn.trace(service)` sees the calls of that service only, with latencies and error
 * codes; `conn.load()` counts calls per service; the routes' tracer exists only while someone listens.
 */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory, ServiceNotFoundError, type Connection, type Gateway, type TraceEvent } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';

describe('the gateway monitor', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  let gateway: Gateway;
  let conn: Connection;
  let n = 0;

  beforeEach(async () => {
    const sd = `memory://monitor-sd-${++n}`;
    opened.push(await createServiceDirectory({ listen: [sd] }));
    opened.push(await createService('calc', { add: (a: number, b: number) => a + b, fail() { throw new Error('no'); } }, { directory: sd }));
    opened.push(await createService('echo', { echo: (v: unknown) => v }, { directory: sd }));
    gateway = await createGateway({ directory: sd, listen: [`memory://monitor-gw-${n}`] });
    opened.push(gateway);
    conn = await connect(gateway.url);
    opened.push(conn);
  });

  afterEach(async () => {
    for (const handle of opened.splice(0).reverse()) await handle.close();
  });

  const tracer = (): unknown => gateway.actor.getSnapshot().context.runtime.monitor.tracer;

  it('traces the calls, answers and errors of one service, with latency, and nothing else', async () => {
    const calc = await conn.service('calc');
    const echo = await conn.service('echo');
    const events: TraceEvent[] = [];
    const trace = conn.trace('calc');
    const reading = (async () => {
      for await (const event of trace) if (events.push(event) === 4) break;
    })();
    await eventually(() => tracer() !== null, 2_000, 'tracing to start');
    await echo.call('echo', 'not traced');
    expect(await calc.call('add', 2, 3)).to.equal(5);
    await calc.call('fail').catch(() => undefined);
    await reading;
    expect(events.map((e) => [e.kind, e.service, e.method])).to.deep.equal([
      ['call', 'calc', 'add'],
      ['reply', 'calc', 'add'],
      ['call', 'calc', 'fail'],
      ['error', 'calc', 'fail'],
    ]);
    expect(events[1]!.latencyMs).to.be.a('number').and.at.least(0);
    expect(events[1]!.id).to.equal(events[0]!.id);
    expect(events[3]!.error).to.deep.equal({ code: 'RemoteError', message: 'no' });
    await eventually(() => tracer() === null, 2_000, 'tracing to stop once the loop stopped');
  });

  it('measures load per service once a second while watched, and is off before and after', async () => {
    expect(tracer()).to.equal(null);
    const calc = await conn.service('calc');
    const load = conn.load();
    const first = load.next();
    await eventually(() => tracer() !== null, 2_000, 'measuring to start');
    for (let i = 0; i < 20; i++) await calc.call('add', i, 1);
    const { value } = await first;
    const row = (value as Array<{ service: string; calls: number; p50Ms: number | null; p99Ms: number | null }>).find((r) => r.service === 'calc');
    expect(row?.calls).to.equal(20);
    expect(row!.p50Ms).to.be.a('number');
    expect(row!.p99Ms).to.be.at.least(row!.p50Ms!);
    await load.return();
    await eventually(() => tracer() === null, 2_000, 'measuring to stop');
  });

  it('is not there on a connection straight to a service', async () => {
    const direct = await createService('solo', { ping: () => 'pong' }, { listen: [`memory://monitor-solo-${n}`] });
    opened.push(direct);
    const solo = await connect(direct.endpoints[0]!);
    opened.push(solo);
    await rejection(solo.trace('solo').next(), ServiceNotFoundError);
  });
});

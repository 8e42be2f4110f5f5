/**
 * `qi trace` and `qi top` as child processes against a gateway over TCP, with a scripted load from this
 * process: trace sees the calls of its service only, with latencies and errors; top counts calls per service.
 */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory, type Connection, type TraceEvent } from '../../lib/index.js';
import { finished, startQi } from './run-qi.js';

describe('qi trace and qi top under a scripted load', function () {
  this.timeout(60_000);
  const opened: Array<{ close(): Promise<void> }> = [];
  let conn: Connection;
  let env: Record<string, string>;

  before(async () => {
    const directory = await createServiceDirectory({ listen: ['memory://'] });
    opened.push(directory);
    opened.push(await createService('calc', { add: (a: number, b: number) => a + b, fail() { throw new Error('on purpose'); } }, { directory: directory.url }));
    opened.push(await createService('echo', { echo: (v: unknown) => v }, { directory: directory.url }));
    const gateway = await createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    opened.push(gateway);
    env = { QI_URL: gateway.url };
    conn = await connect(gateway.url);
    opened.push(conn);
  });

  after(async () => {
    for (const handle of opened.splice(0).reverse()) await handle.close();
  });

  /** Calls calc and echo every few ms until `done` settles. */
  async function load(done: Promise<unknown>): Promise<void> {
    const calc = await conn.service('calc');
    const echo = await conn.service('echo');
    let running = true;
    void done.finally(() => (running = false));
    let i = 0;
    while (running) {
      await Promise.all([calc.call('add', i, 1), echo.call('echo', i), i % 5 === 0 ? calc.call('fail').catch(() => undefined) : undefined]);
      i++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await calc.close();
    await echo.close();
  }

  it('trace --json: calls of one service and their answers, with latency and error codes', async () => {
    const run = finished(startQi(['trace', 'calc', '--count', '30', '--json'], env));
    await load(run);
    const { code, stdout, stderr } = await run;
    expect(code, stderr).to.equal(0);
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as TraceEvent);
    expect(events).to.have.length(30);
    expect(new Set(events.map((e) => e.service))).to.deep.equal(new Set(['calc']));
    const replies = events.filter((e) => e.kind === 'reply');
    expect(replies.length).to.be.above(0);
    for (const reply of replies) {
      expect(reply.latencyMs).to.be.a('number').and.at.least(0);
      expect(events.some((e) => e.kind === 'call' && e.id === reply.id && e.client === reply.client) || reply === events.find((e) => e.kind === 'reply')).to.equal(true);
    }
    const error = events.find((e) => e.kind === 'error');
    if (error) expect(error).to.deep.include({ method: 'fail', error: { code: 'RemoteError', message: 'on purpose' } });
  });

  it('trace prints one plain line per event', async () => {
    const run = finished(startQi(['trace', 'calc', '--count', '4'], env));
    await load(run);
    const { code, stdout } = await run;
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines).to.have.length(4);
    for (const line of lines) expect(line).to.match(/^\d\d:\d\d:\d\d\.\d{3} link-\d+\s+(call|reply|error)\s+calc\.(add|fail) #\d+/);
    expect(stdout).to.match(/reply\s+calc\.add #\d+ [\d.]+ ms/);
  });

  it('top: calls/s and p50/p99 per service, one plain line per service per second off a terminal; --json', async () => {
    const plain = finished(startQi(['top', '--count', '2'], env));
    await load(plain);
    const { code, stdout, stderr } = await plain;
    expect(code, stderr).to.equal(0);
    expect(stdout).not.to.contain('\x1b[');
    expect(stdout).to.match(/^\S+Z calc [\d.]+\/s errors=\d+ p50=[\d.]+ ms p99=[\d.]+ ms$/m);
    expect(stdout).to.match(/^\S+Z echo [\d.]+\/s errors=0 p50=/m);

    const json = finished(startQi(['top', '--count', '2', '--json'], env));
    await load(json);
    const intervals = (await json).stdout.trim().split('\n').map((line) => JSON.parse(line) as Array<Record<string, unknown>>);
    expect(intervals).to.have.length(2);
    const calc = intervals[1]!.find((row) => row.service === 'calc')!;
    expect(calc.calls as number).to.be.above(0);
    expect(calc.callsPerSecond as number).to.be.above(0);
    expect(calc.p99Ms as number).to.be.at.least(calc.p50Ms as number);
    expect(calc.errors as number).to.be.above(0);
  });
});

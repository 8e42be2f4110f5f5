/**
 * Process faults with real child processes over TCP: a gateway killed under load and started again (the old
 * Connection and ServiceClient work again by themselves), and a gateway frozen with SIGSTOP (noticed within the
 * heartbeat window: calls in flight fail with ConnectionLost instead of hanging).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { connect, ConnectionLostError, type Connection } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { within } from './topology.js';
import { freePort } from '../free-port.js';

const children = new Set<ChildProcess>();

async function start<T>(role: string, ...args: string[]): Promise<{ child: ChildProcess; info: T }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'spec/e2e/robot-process.ts', role, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const [line] = (await within(once(createInterface({ input: child.stdout! }), 'line'), 10_000, `the ${role} process`)) as [string];
  return { child, info: JSON.parse(line) as T };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}


interface Calc {
  add(a: number, b: number): number;
  hang(): void;
}

/** The median of a client's round trips to `small` over `ms`, one call every 10 ms. */
async function p50(call: () => Promise<unknown>, ms: number): Promise<{ p50: number; failed: number }> {
  const samples: number[] = [];
  let failed = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const started = performance.now();
    await call().then(() => samples.push(performance.now() - started), () => failed++);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)] ?? Number.POSITIVE_INFINITY, failed };
}

describe('process faults, with real processes over TCP', function () {
  this.timeout(30_000);
  let directory: string;
  let connection: Connection | undefined;

  before(async () => {
    directory = (await start<{ directory: string }>('service')).info.directory;
  });
  afterEach(async () => {
    await connection?.close();
    connection = undefined;
  });
  after(async () => {
    for (const child of [...children]) {
      child.kill('SIGCONT');
      await kill(child);
    }
  });

  it('comes back after the gateway is killed under load and started again: the same client calls again', async () => {
    const port = String(await freePort());
    let gateway = await start<{ gateway: string }>('gateway', directory, port);
    connection = await connect(gateway.info.gateway, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const calc = await connection.service<Calc>('calc');
    let stop = false;
    let succeeded = 0;
    const failures: unknown[] = [];
    const load = (async () => {
      while (!stop) {
        await Promise.all(Array.from({ length: 50 }, () => calc.with({ timeout: 5_000 }).add(1, 2).then(() => succeeded++, (err: unknown) => failures.push(err))));
      }
    })();
    await eventually(() => succeeded > 500, 10_000, 'calls to flow');

    await kill(gateway.child);
    const restarted = Date.now();
    gateway = await start<{ gateway: string }>('gateway', directory, port);
    const before = succeeded;
    await eventually(() => succeeded > before + 100, 10_000, 'calls to succeed again on the old client');
    const backAfter = Date.now() - restarted;
    stop = true;
    await load;
    console.log(`      (calls succeeded again ${backAfter} ms after the gateway process was started again)`);
    expect(calc.actor.getSnapshot().value).to.equal('bound');
    expect(failures.every((err) => err instanceof ConnectionLostError), 'calls in flight failed with ConnectionLost only').to.equal(true);
    expect(await calc.add(20, 22)).to.equal(42);
    await kill(gateway.child);
  });

  it('keeps another client of a service fast while one client of it calls and never reads', async () => {
    const port = String(await freePort());
    const gateway = await start<{ gateway: string }>('gateway', directory, port);
    connection = await connect(gateway.info.gateway);
    const bulk = await connection.service('bulk');
    const alone = await p50(() => bulk.with({ timeout: 2_000 }).call('small'), 1_000);
    const slow = await start<{ slow: boolean }>('slow-client', gateway.info.gateway);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const meanwhile = await p50(() => bulk.with({ timeout: 2_000 }).call('small'), 3_000);
    console.log(`      (another client's p50: ${alone.p50.toFixed(2)} ms alone, ${meanwhile.p50.toFixed(2)} ms beside the slow one)`);
    expect(meanwhile.failed, 'no call of the other client timed out').to.equal(0);
    expect(meanwhile.p50).to.be.below(Math.max(2 * alone.p50, 5));
    await kill(slow.child);
    await kill(gateway.child);
  });

  it('notices a frozen gateway within the heartbeat window and fails the calls in flight', async () => {
    const port = String(await freePort());
    const gateway = await start<{ gateway: string }>('gateway', directory, port);
    connection = await connect(gateway.info.gateway, { reconnect: false });
    const calc = await connection.service<Calc>('calc');
    expect(await calc.add(1, 1)).to.equal(2);
    const pending = calc.hang();
    gateway.child.kill('SIGSTOP');
    const frozen = Date.now();
    await within(rejection(pending, ConnectionLostError), 5_000, 'the call in flight');
    const noticedAfter = Date.now() - frozen;
    console.log(`      (a frozen gateway was noticed after ${noticedAfter} ms)`);
    expect(noticedAfter).to.be.below(3_500);
    gateway.child.kill('SIGCONT');
    await kill(gateway.child);
  });
});

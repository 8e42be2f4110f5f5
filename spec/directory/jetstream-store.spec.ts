/**
 * The directory on a JetStream KV bucket (lib/directory/jetstream-store.ts), against a real nats-server with
 * `-js`: the same methods and rules as the in-process registry, a name refused atomically across instances, the
 * signals on every instance, and liveness by leases: a host that stops renewing (its lease lapses, it is frozen
 * with SIGSTOP, or SIGKILLed) leaves the directory within T + T/3. Without nats-server these skip, saying why.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import {
  connect,
  createService,
  createServiceDirectory,
  jetStreamDirectory,
  ServiceAlreadyRegisteredError,
  ServiceNotFoundError,
  UnauthorizedError,
  type Connection,
  type DirectoryService,
  type ServiceDirectory,
} from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { startNatsServer, type NatsServer, skipWithoutNatsServer } from '../nats-server.js';

/** Milliseconds until `condition` holds, polled every 10 ms; fails after `ms`. */
async function timeUntil(condition: () => boolean, ms: number, what: string): Promise<number> {
  const start = performance.now();
  await eventually(condition, ms, what);
  return performance.now() - start;
}

const names = (directory: ServiceDirectory): string[] => directory.services().map((s) => s.name);

describe('the directory on JetStream KV', function () {
  this.timeout(30_000);
  let server: NatsServer;
  const directories: ServiceDirectory[] = [];
  const connections: Connection[] = [];
  const children: ChildProcess[] = [];
  let port = 0;
  const directory = async (leaseMs = 3_000): Promise<ServiceDirectory> => {
    const made = await createServiceDirectory({ listen: [`memory://js-sd-${++port}`], store: jetStreamDirectory({ servers: server.url, leaseMs }) });
    directories.push(made);
    return made;
  };
  const client = async (url: string): Promise<Connection> => {
    const made = await connect(url);
    connections.push(made);
    return made;
  };

  before(async function () {
    skipWithoutNatsServer(this);
    server = await startNatsServer({ jetstream: true });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await Promise.all(directories.splice(0).map((d) => d.close()));
  });
  after(() => server?.stop());

  it('registers, looks up, lists and unregisters, and keeps the owner-only rule', async () => {
    const sd = await directory();
    expect(sd.storeKind).to.equal('jetstream');
    const calc = await createService('calc', { add: (a: number, b: number) => a + b }, { directory: sd.url });
    try {
      const connection = await client(sd.url);
      const api = await connection.service<DirectoryService>('ServiceDirectory');
      const record = await api.lookup('calc');
      expect(record).to.include({ id: calc.serviceId, name: 'calc' });
      expect((await api.list()).map((s) => s.name)).to.have.members(['ServiceDirectory', 'calc']);
      expect((await api.lookup('ServiceDirectory')).endpoints).to.deep.equal(sd.endpoints);
      await rejection(api.unregister(calc.serviceId!), UnauthorizedError);
      await rejection(api.register('ServiceDirectory', ['memory://x']), ServiceAlreadyRegisteredError);
      // The record names the endpoints the service listens on: a client there reaches it.
      const calling = await client(record.endpoints[0]!);
      expect(await (await calling.service<{ add(a: number, b: number): number }>('calc')).add(2, 3)).to.equal(5);
    } finally {
      await calc.close();
    }
    await eventually(() => !names(sd).includes('calc'), 2_000, 'calc unregistered');
  });

  it('refuses a name to one of two instances registering it at once, atomically', async () => {
    const [a, b] = [await directory(), await directory()];
    const apis = await Promise.all([a, b].map(async (d) => (await client(d.url)).service<DirectoryService>('ServiceDirectory')));
    for (let round = 0; round < 20; round++) {
      const outcomes = await Promise.allSettled(apis.map((api) => api.register(`race-${round}`, ['memory://race'])));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof ServiceAlreadyRegisteredError);
      expect([won.length, refused.length], `round ${round}`).to.deep.equal([1, 1]);
    }
    await eventually(() => names(a).filter((n) => n.startsWith('race-')).length === 20 && names(b).filter((n) => n.startsWith('race-')).length === 20, 3_000, 'both instances see all');
  });

  for (const instances of [1, 2]) {
    it(`registers and unregisters hundreds of times at once on ${instances === 1 ? 'one instance' : 'two instances'}: every unregister of a won name works`, async () => {
      const sds = await Promise.all(Array.from({ length: instances }, () => directory()));
      // Clients of their own per worker: a record belongs to the link that registered it.
      const apis = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await client(sds[i % instances]!.url)).service<DirectoryService>('ServiceDirectory')));
      const outcomes = new Map<string, number>();
      const count = (what: string): void => void outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
      // 40 workers, 10 rounds each, over 8 names: the same names are created and deleted again and again, so the
      // watch keeps delivering revisions older than what the instance's own creates have told it.
      await Promise.all(
        apis.map(async (api, worker) => {
          for (let round = 0; round < 10; round++) {
            const name = `hammer-${instances}-${(worker + round) % 8}`;
            let id: number;
            try {
              id = await api.register(name, ['memory://hammer']);
            } catch (err) {
              count(err instanceof ServiceAlreadyRegisteredError ? 'taken' : `register: ${(err as Error).message}`);
              continue;
            }
            try {
              await api.unregister(id);
              count('unregistered');
            } catch (err) {
              count(`unregister: ${(err as Error).message}`);
            }
          }
        }),
      );
      console.log(`      ${instances} instance(s), 400 registers: ${JSON.stringify(Object.fromEntries(outcomes))}`);
      expect([...outcomes.keys()].filter((k) => k !== 'taken' && k !== 'unregistered')).to.deep.equal([]);
      expect(outcomes.get('unregistered')).to.be.at.least(8);
      for (const sd of sds) await eventually(() => !names(sd).some((n) => n.startsWith('hammer-')), 3_000, 'every hammered name gone');
    });
  }

  it('signals serviceAdded and serviceRemoved on another instance, and drops a closed link\'s registrations', async () => {
    const [a, b] = [await directory(), await directory()];
    const watching = await (await client(b.url)).directory();
    const added: string[] = [];
    const removed: string[] = [];
    await watching.on('serviceAdded', (name) => void added.push(name));
    await watching.on('serviceRemoved', (name) => void removed.push(name));
    const registrant = await client(a.url);
    await (await registrant.service<DirectoryService>('ServiceDirectory')).register('tts', ['memory://tts']);
    const addedMs = await timeUntil(() => added.includes('tts'), 2_000, 'serviceAdded(tts) on b');
    expect(await (await (await client(b.url)).service<DirectoryService>('ServiceDirectory')).lookup('tts')).to.include({ name: 'tts' });
    await registrant.close();
    const removedMs = await timeUntil(() => removed.includes('tts'), 2_000, 'serviceRemoved(tts) on b');
    console.log(`      serviceAdded on the other instance ${addedMs.toFixed(0)} ms, serviceRemoved after the link closed ${removedMs.toFixed(0)} ms`);
  });

  it('removes the registrations of a lease that lapses within T + T/3', async () => {
    const leaseMs = 1_000;
    const sd = await directory(leaseMs);
    // A host that took its lease, registered, and was never heard from again: written straight to the bucket.
    const nc = await natsConnect({ servers: server.url });
    try {
      const kv = await new Kvm(nc).open('qi-directory');
      await kv.put('lease.gone-host', JSON.stringify({ host: 'elsewhere', pid: 1 }));
      await kv.create(`svc.${Buffer.from('orphan').toString('base64url')}`, JSON.stringify({ name: 'orphan', endpoints: ['memory://orphan'], lease: 'gone-host', host: 'elsewhere' }));
      const lastRenewal = performance.now();
      await eventually(() => names(sd).includes('orphan'), 2_000, 'orphan seen');
      await eventually(() => !names(sd).includes('orphan'), leaseMs * 3, 'orphan reaped');
      const elapsed = performance.now() - lastRenewal;
      console.log(`      lease T = ${leaseMs} ms: registrations gone ${elapsed.toFixed(0)} ms after the last renewal`);
      expect(elapsed).to.be.at.least(leaseMs).and.below(leaseMs + leaseMs / 3 + 500);
      // The lease key goes after what named it: poll for it, a busy machine may take a moment.
      let lease = await kv.get('lease.gone-host');
      for (let tries = 0; lease?.operation !== 'DEL' && tries < 40; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        lease = await kv.get('lease.gone-host');
      }
      expect(lease).to.have.property('operation', 'DEL');
    } finally {
      await nc.close();
    }
  });

  it('keeps a live host\'s registrations past many lease periods', async () => {
    const leaseMs = 300;
    const [a, b] = [await directory(leaseMs), await directory(leaseMs)];
    const kept = await createService('kept', { ping: () => 'pong' }, { directory: a.url });
    try {
      await eventually(() => names(b).includes('kept'), 2_000, 'kept seen on b');
      await new Promise((resolve) => setTimeout(resolve, leaseMs * 6));
      expect(names(b)).to.include('kept');
    } finally {
      await kept.close();
    }
  });

  it('answers a lookup of a name its watch delivered from that view, even while the NATS server cannot answer', async () => {
    const sd = await directory();
    const calc = await createService('calc', { add: (a: number, b: number) => a + b }, { directory: sd.url });
    try {
      const api = await (await client(sd.url)).service<DirectoryService>('ServiceDirectory');
      await eventually(() => names(sd).includes('calc'), 2_000, 'calc in the view');
      process.kill(server.pid, 'SIGSTOP');
      try {
        const started = performance.now();
        const record = await api.lookup('calc');
        expect(record).to.include({ id: calc.serviceId, name: 'calc' });
        // A get would wait for the frozen server (a JetStream request times out after seconds).
        expect(performance.now() - started).to.be.below(1_000);
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
    } finally {
      await calc.close();
    }
  });

  it('registers the services of a host again by themselves when it thaws after being reaped (SIGSTOP past its lease, SIGCONT)', async () => {
    const leaseMs = 1_000;
    const sd = await directory(leaseMs);
    const api = await (await client(sd.url)).service<DirectoryService>('ServiceDirectory');
    const name = 'child-thawed';
    const child = spawn(process.execPath, ['--import', 'tsx', 'spec/directory/jetstream-host.ts', server.url, name, String(leaseMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    expect(line).to.match(/^ready/);
    await eventually(() => names(sd).includes(name), 2_000, `${name} seen`);
    const before = await api.lookup(name);
    child.kill('SIGSTOP');
    await eventually(() => !names(sd).includes(name), leaseMs * 4, `${name} reaped`);
    await new Promise((resolve) => setTimeout(resolve, leaseMs));
    await rejection(api.lookup(name), ServiceNotFoundError);
    child.kill('SIGCONT');
    const thawed = performance.now();
    const backMs = await timeUntil(() => names(sd).includes(name), leaseMs * 5, `${name} registered again`);
    const after = await api.lookup(name);
    console.log(`      reaped while frozen; registered again ${backMs.toFixed(0)} ms after SIGCONT (T = ${leaseMs} ms), id ${before.id} → ${after.id}`);
    expect(after.id).to.be.above(before.id);
    expect(after.endpoints).to.deep.equal(before.endpoints);
    // The thawed host is live: it stays past more lease periods, and its service answers at the endpoint.
    await new Promise((resolve) => setTimeout(resolve, leaseMs * 3));
    expect(names(sd)).to.include(name);
    const calling = await client(after.endpoints[0]!);
    expect(await (await calling.service<{ echo(x: number): number }>(name)).echo(7)).to.equal(7);
    expect(performance.now() - thawed).to.be.below(leaseMs * 10);
    expect(backMs).to.be.below(leaseMs * 3);
  });

  for (const signal of ['SIGSTOP', 'SIGKILL'] as const) {
    it(`removes a child host's registrations within its lease when it is ${signal === 'SIGSTOP' ? 'frozen (SIGSTOP)' : 'killed (SIGKILL)'}`, async () => {
      const leaseMs = 3_000;
      const sd = await directory(leaseMs);
      const name = `child-${signal}`;
      const child = spawn(process.execPath, ['--import', 'tsx', 'spec/directory/jetstream-host.ts', server.url, name, String(leaseMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      const lines = createInterface({ input: child.stdout! });
      const [line] = (await once(lines, 'line')) as [string];
      expect(line).to.match(/^ready/);
      await eventually(() => names(sd).includes(name), 2_000, `${name} seen`);
      const start = performance.now();
      child.kill(signal);
      await eventually(() => !names(sd).includes(name), leaseMs * 3, `${name} reaped`);
      const elapsed = performance.now() - start;
      console.log(`      ${signal}: gone from the directory ${elapsed.toFixed(0)} ms after the signal (T = ${leaseMs} ms)`);
      expect(elapsed).to.be.below(leaseMs + leaseMs / 3 + 1_000);
    });
  }
});

/**
 * Three hosts on a three-node NATS cluster (examples/cluster.ts), all on loopback: losing one NATS node of three
 * pauses directory writes until JetStream elects a leader, loses no registration, and clients rebind; a service
 * host's process killed under load ends every pending call promptly with ServiceGone or ConnectionLost.
 * Without nats-server these skip, saying why.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type Connection, type DirectoryService } from '../../lib/index.js';
import { QiError } from '../../lib/protocol/errors.js';
import { eventually } from '../helpers.js';
import { skipWithoutNatsServer } from '../nats-server.js';
import { startHost, startNatsCluster, type ClusterHost, type NatsCluster } from '../../examples/cluster.js';

interface Echo {
  echo(x: unknown): unknown;
}

/** Retries `attempt` every 50 ms until it resolves; the milliseconds it took. */
async function timeUntilWorks(attempt: () => Promise<unknown>, ms: number, what: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    try {
      await attempt();
      return performance.now() - start;
    } catch (err) {
      if (performance.now() - start > ms) throw new Error(`${what} did not work within ${ms} ms: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('three hosts on a three-node NATS cluster', function () {
  this.timeout(90_000);
  let cluster: NatsCluster;
  let hosts: ClusterHost[] = [];
  const connections: Connection[] = [];
  let child: ChildProcess | undefined;

  before(async function () {
    skipWithoutNatsServer(this);
    cluster = await startNatsCluster(3);
    for (let i = 0; i < 3; i++) hosts.push(await startHost(cluster, `cl-host${i}`, i));
    for (const [i, host] of hosts.entries()) await host.addService(`echo${i}`, { echo: (x: unknown) => x });
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await Promise.all(connections.splice(0).map((c) => c.close()));
    for (const host of hosts) await host.close().catch(() => {});
    hosts = [];
    await cluster?.stop();
  });

  const client = async (host: ClusterHost): Promise<Connection> => {
    const made = await connect(host.gateway.url, { transports: host.transports });
    connections.push(made);
    return made;
  };

  it('ends every pending call with ServiceGone or ConnectionLost when a service host process is killed under load', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'spec/directory/jetstream-host.ts', cluster.urls[0]!, 'victim', '3000', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    expect(line).to.match(/^ready/);
    const connection = await client(hosts[1]!);
    await eventually(() => hosts[1]!.directory.services().some((s) => s.name === 'victim'), 5_000, 'victim seen on host 1');
    const victim = await connection.service<Echo>('victim');
    expect(await victim.echo(1)).to.equal(1);
    const pending = Array.from({ length: 500 }, (_, i) => victim.echo(i));
    child.kill('SIGKILL');
    const killedAt = performance.now();
    const more = Array.from({ length: 500 }, (_, i) => victim.echo(i));
    const outcomes = await Promise.allSettled([...pending, ...more]);
    const endedMs = performance.now() - killedAt;
    const codes = new Map<string, number>();
    for (const outcome of outcomes) {
      const code = outcome.status === 'fulfilled' ? 'answered' : outcome.reason instanceof QiError ? outcome.reason.code : String(outcome.reason);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    console.log(`      1,000 calls: ${JSON.stringify(Object.fromEntries(codes))}, all ended ${endedMs.toFixed(0)} ms after SIGKILL`);
    expect([...codes.keys()].filter((code) => !['answered', 'ServiceGone', 'ConnectionLost'].includes(code))).to.deep.equal([]);
    expect(endedMs).to.be.below(5_000);
  });

  it('can kill one NATS node of three (the stream leader): directory writes resume after the leader election, no registration is lost, clients rebind', async () => {
    // Kill the node leading the bucket's stream, so that JetStream must elect a new leader.
    const nc = await natsConnect({ servers: cluster.urls[0]! });
    const leader = (await (await jetstreamManager(nc)).streams.info('KV_qi-directory')).cluster?.leader ?? 'n2';
    await nc.close();
    const lost = cluster.nodes.findIndex((node) => node.name === leader);
    const survivor = (lost + 1) % 3;
    const target = `echo${lost}`;
    const connection = await client(hosts[survivor]!);
    const echo2 = await connection.service<Echo>(target);
    expect(await echo2.echo('before')).to.equal('before');
    const directoryConnection = await connect(hosts[survivor]!.directory.url);
    connections.push(directoryConnection);
    const sd = await directoryConnection.service<DirectoryService>('ServiceDirectory');
    const before = hosts.map((host) => host.directory.services().map((s) => s.name).sort());
    await cluster.nodes[lost]!.stop();
    const [resumeMs, rebindMs] = await Promise.all([
      timeUntilWorks(() => sd.register(`after-node-loss`, ['memory://x']), 30_000, 'a directory write'),
      // The target's host preferred the lost node: its endpoint names it, its link falls back on another node.
      timeUntilWorks(async () => {
        const proxy = await connection.service<Echo>(target);
        if ((await proxy.echo('after')) !== 'after') throw new Error('wrong answer');
      }, 30_000, `a call to ${target} after a rebind`),
    ]);
    // A write after the loss reaches every host, also one whose watch was served by the killed node (its watch is
    // replaced by one resuming after its last revision, once JetStream can create consumers again).
    const seenMs = await timeUntilWorks(async () => {
      const missing = hosts.filter((host) => !host.directory.services().some((s) => s.name === 'after-node-loss'));
      if (missing.length > 0) throw new Error(`not yet seen by ${missing.map((host) => host.name).join(', ')}`);
    }, 30_000, 'every host seeing the write');
    console.log(`      stream leader ${leader} killed: directory writes resumed after ${resumeMs.toFixed(0)} ms, every host saw one ${seenMs.toFixed(0)} ms later, a client of ${target} (its host preferred ${leader}) rebound after ${rebindMs.toFixed(0)} ms`);
    // Past two lease periods nothing lapsed: every host renewed through the surviving nodes.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    for (const [i, host] of hosts.entries()) {
      const names = host.directory.services().map((s) => s.name);
      expect(names, `host ${i}`).to.include.members(before[i]!.filter((n) => n !== 'victim'));
      expect(names, `host ${i}`).to.include.members(['echo0', 'echo1', 'echo2']);
    }
    expect(await (await connection.service<Echo>('echo1')).echo(1)).to.equal(1);
  });
});

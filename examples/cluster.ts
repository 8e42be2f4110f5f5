/**
 * Three hosts on a three-node NATS cluster, all on loopback: a nats-server per node (JetStream, a store each),
 * and per host a directory instance on the shared bucket (3 replicas), a gateway, and services spread over them.
 * A client of host 0's gateway calls a service of every host. Needs `nats-server` (apt-get install -y
 * nats-server); it starts and stops its own nodes.
 *
 *   npx tsx examples/cluster.ts
 *
 * The specs (spec/cluster/cluster.spec.ts) use startNatsCluster and startHost from here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  defaultTransports,
  DirectoryUnavailableError,
  jetStreamDirectory,
  NatsTransport,
  type Gateway,
  type Service,
  type ServiceDirectory,
  type TransportRegistry,
} from '../lib/index.js';

export interface NatsNode {
  readonly name: string;
  readonly port: number;
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number;
  /** Kills the node (SIGKILL by default) and waits for it to exit. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface NatsCluster {
  readonly nodes: NatsNode[];
  readonly urls: string[];
  /** Kills every node still running and removes their stores. */
  stop(): Promise<void>;
}

const COMMANDS = ['nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server'];

export function natsServerCommand(): string | undefined {
  return COMMANDS.find((command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function listening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return reject(new Error(`nats-server on ${port} exited (${child.exitCode})`));
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve()));
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nats-server did not listen on ${port}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** Starts `size` nats-server nodes routed to each other, JetStream on, one store directory each. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const command = natsServerCommand();
  if (!command) throw new Error('nats-server is not installed (apt-get install -y nats-server)');
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
  const stores = ports.map(() => mkdtempSync(join(tmpdir(), 'qi-cluster-')));
  const children: ChildProcess[] = [];
  const nodes = ports.map((port, i): NatsNode => {
    const others = routes.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`).join(',');
    const child = spawn(
      command,
      ['-a', '127.0.0.1', '-p', String(port), '--server_name', `n${i}`, '--cluster_name', 'qi', '--cluster', `nats://127.0.0.1:${routes[i]}`, '--routes', others, '-js', '-sd', stores[i]!],
      { stdio: 'ignore' },
    );
    children.push(child);
    return {
      name: `n${i}`,
      port,
      url: `nats://127.0.0.1:${port}`,
      pid: child.pid!,
      stop: async (signal: NodeJS.Signals = 'SIGKILL') => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        await exited;
      },
    };
  });
  const killAll = (): void => void children.forEach((child) => child.exitCode === null && child.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    await Promise.all(nodes.map((node, i) => listening(node.port, children[i]!)));
  } catch (err) {
    killAll();
    throw err;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      process.off('exit', killAll);
      for (const store of stores) rmSync(store, { recursive: true, force: true });
    },
  };
}

export interface ClusterHost {
  readonly name: string;
  readonly directory: ServiceDirectory;
  readonly gateway: Gateway;
  readonly services: Service[];
  /** Transports whose nats:// connections fall back on the cluster's other nodes. */
  readonly transports: TransportRegistry;
  /** A service of this host, listening on `nats://<its node>/qi.<host>.<name>`. */
  addService(name: string, implementation: object): Promise<Service>;
  close(): Promise<void>;
}

/** Transports for a host of `cluster`: nats:// endpoints name one node, and fall back on the others. */
export function clusterTransports(cluster: NatsCluster): TransportRegistry {
  return defaultTransports().register(new NatsTransport({ fallbackServers: cluster.urls, probeIntervalMs: 500 }));
}

/**
 * A host on `cluster`, preferring node `node`: its directory instance (on the shared bucket, 3 replicas, retried
 * while JetStream has no leader yet), its gateway on memory:// and tcp://, and its services.
 */
export async function startHost(cluster: NatsCluster, name: string, node: number, leaseMs = 3_000): Promise<ClusterHost> {
  const home = cluster.urls[node]!;
  const transports = clusterTransports(cluster);
  const servers = [home, ...cluster.urls.filter((url) => url !== home)];
  const store = jetStreamDirectory({ servers, hostId: name, replicas: Math.min(3, cluster.urls.length), leaseMs, connection: { noRandomize: true } });
  const deadline = Date.now() + 20_000;
  let directory: ServiceDirectory | undefined;
  while (!directory) {
    try {
      directory = await createServiceDirectory({ listen: [`memory://${name}-sd`], store, transports });
    } catch (err) {
      // A new cluster elects its JetStream meta leader a few seconds after it starts.
      if (!(err instanceof DirectoryUnavailableError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const gateway = await createGateway({ directory: directory.url, listen: [`memory://${name}-gw`, 'tcp://127.0.0.1:0'], transports });
  const services: Service[] = [];
  return {
    name,
    directory,
    gateway,
    services,
    transports,
    addService: async (service, implementation) => {
      const made = await createService(service, implementation, { directory: directory.url, listen: [`${home}/qi.${name}.${service}`], transports });
      services.push(made);
      return made;
    },
    close: async () => {
      for (const service of services.splice(0)) await service.close();
      await gateway.close();
      await directory.close();
    },
  };
}

async function main(): Promise<void> {
  if (!natsServerCommand()) {
    console.log('This example starts its own three nats-server nodes: apt-get install -y nats-server, then run it again.');
    return;
  }
  const cluster = await startNatsCluster(3);
  const hosts: ClusterHost[] = [];
  try {
    for (let i = 0; i < 3; i++) hosts.push(await startHost(cluster, `host${i}`, i));
    for (const [i, host] of hosts.entries()) await host.addService(`echo${i}`, { echo: (text: string) => `${host.name}: ${text}` });
    const client = await connect(hosts[0]!.gateway.url, { transports: hosts[0]!.transports });
    for (let i = 0; i < 3; i++) console.log(await (await client.service(`echo${i}`)).call('echo', 'hello'));
    console.log(`${hosts[0]!.directory.services().length - 1} services in the directory, seen from host0`);
    await client.close();
  } finally {
    for (const host of hosts) await host.close();
    await cluster.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

/**
 * The topologies every end-to-end spec runs in, after libqi's tests/messaging: each spec is written once and run
 * in every mode (direct to the service, or through a gateway) on every transport. The nats:// rows share one
 * nats-server for the run, and are left out (saying why) where nats-server is not installed.
 */
import { nanoid } from 'nanoid';
import {
  connect,
  defaultTransports,
  TlsTransport,
  type CommonOptions,
  createGateway,
  createService,
  createServiceDirectory,
  type Connection,
  type Gateway,
  type Service,
  type ServiceDirectory,
} from '../../lib/index.js';

export type Mode = 'direct' | 'gateway';
import { tlsFiles } from '../tls-certs.js';
import { natsServerMissing, sharedNatsServer, type NatsServer } from '../nats-server.js';

export type TransportName = 'memory' | 'tcp' | 'ws' | 'tls' | 'nats';

const natsMissing = natsServerMissing();
if (natsMissing) console.log(`note: the end-to-end matrix runs without nats:// (${natsMissing})`);

export const MATRIX: ReadonlyArray<{ mode: Mode; transport: TransportName }> = [
  { mode: 'direct', transport: 'memory' },
  { mode: 'gateway', transport: 'memory' },
  { mode: 'direct', transport: 'tcp' },
  { mode: 'gateway', transport: 'tcp' },
  { mode: 'direct', transport: 'ws' },
  { mode: 'gateway', transport: 'ws' },
  { mode: 'direct', transport: 'tls' },
  { mode: 'gateway', transport: 'tls' },
  ...(natsMissing
    ? []
    : [
        { mode: 'direct', transport: 'nats' },
        { mode: 'gateway', transport: 'nats' },
      ] as const),
];

/** The NATS network of the nats:// rows: one server for the whole run (spec/nats-server.ts). */
let nats: NatsServer | undefined;

/** A fresh listen URL for the transport: a unique memory name, or an ephemeral port. */
export function listenUrl(transport: TransportName): string {
  if (transport === 'memory') return `memory://${nanoid(8)}`;
  if (transport === 'nats') {
    if (!nats) throw new Error('the NATS server of the matrix is not started (Topology.start starts it)');
    return `${nats.url}/qi.${nanoid(8)}`;
  }
  if (transport === 'tls') return 'tls://127.0.0.1:0';
  return transport === 'tcp' ? 'tcp://127.0.0.1:0' : 'ws://127.0.0.1:0/qi';
}

/** The options every handle of a topology on `transport` needs: for TLS, a transport with a test CA's certificates. */
export function transportOptions(transport: TransportName): CommonOptions {
  if (transport !== 'tls') return {};
  const files = tlsFiles();
  return { transports: defaultTransports().register(new TlsTransport({ cert: files.serverCert, key: files.serverKey, ca: files.ca })) };
}

export class Topology {
  readonly services = new Map<string, Service>();
  private readonly connections: Connection[] = [];

  private constructor(
    readonly mode: Mode,
    readonly transport: TransportName,
    readonly directory: ServiceDirectory,
    readonly gateway: Gateway | undefined,
  ) {}

  static async start(mode: Mode, transport: TransportName): Promise<Topology> {
    if (transport === 'nats') nats ??= await sharedNatsServer();
    const options = transportOptions(transport);
    const directory = await createServiceDirectory({ ...options, listen: [listenUrl(transport)] });
    const gateway = mode === 'gateway' ? await createGateway({ ...options, directory: directory.url, listen: [listenUrl(transport)] }) : undefined;
    return new Topology(mode, transport, directory, gateway);
  }

  async addService(name: string, implementation: object): Promise<Service> {
    const service = await createService(name, implementation, { ...transportOptions(this.transport), directory: this.directory.url, listen: [listenUrl(this.transport)] });
    this.services.set(name, service);
    return service;
  }

  /** Where a client of `name` connects: the gateway, or the service's own endpoint in direct mode. */
  urlFor(name: string): string {
    if (this.gateway) return this.gateway.url;
    const service = this.services.get(name);
    if (!service) throw new Error(`no service ${name} in this topology`);
    return service.endpoints[0]!;
  }

  /** A new connection for clients of `name` (closed with the topology). */
  async connectFor(name: string): Promise<Connection> {
    const connection = await connect(this.urlFor(name), transportOptions(this.transport));
    this.connections.push(connection);
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.close()));
    await Promise.all([...this.services.values()].map((s) => s.close()));
    await this.gateway?.close();
    await this.directory.close();
  }
}

/** Resolves after `ms`, for "promptly" bounds. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * A DirectoryStore in a JetStream KV bucket (`qi-directory`), shared by one directory instance per host: a
 * registration made through any instance is found through every other. One key per service name
 * (`svc.<base64url name>`) holds its endpoints, the lease it lives by and its owner's host; the record's id is the
 * revision its create got, unique in the bucket. register is `kv.create` (the server refuses a second create of a
 * live key, so two instances racing for a name cannot both win); deletes name the revision they delete, so a
 * reaper never takes out a newer registration of the same name. serviceAdded / serviceRemoved come from `kv.watch()`.
 *
 * Liveness by leases (lease-clock.ts): each instance holds `lease.<hostId>`, re-put every T/3; when a lease is not
 * renewed within T, every instance that notices deletes that host's registrations and its lease key, each delete
 * checked by revision, so concurrent reapers are harmless (all but one delete fail, and are ignored).
 *
 * This is the only file that imports `@nats-io/kv`, on first use, like the nats:// transport does its client.
 */
import { hostname } from 'node:os';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { ClosedError, DirectoryUnavailableError, ServiceAlreadyRegisteredError, UnauthorizedError } from '../protocol/errors.js';
import type { ServiceRecord } from './directory-client.js';
import type { DirectoryStore, DirectoryStoreFactory, DirectoryStoreWatcher } from './directory-store.js';
import { LeaseClock } from './lease-clock.js';
import type { Registration } from './registry.js';

export interface JetStreamDirectoryOptions {
  /** NATS servers, e.g. `'nats://127.0.0.1:4222'` or the URLs of every node of a cluster. */
  servers: string | string[];
  /** The KV bucket every instance shares (default `qi-directory`). */
  bucket?: string;
  /** Replicas of the bucket when this instance creates it (default 1; 3 on a three-node cluster). */
  replicas?: number;
  /** T: a host whose lease is not renewed for this long loses its registrations (default 3,000 ms). */
  leaseMs?: number;
  /** This instance's lease id (default a fresh NUID): one per host. */
  hostId?: string;
  /** Options for the NATS connection (authentication, TLS, reconnect pacing). */
  connection?: Omit<NodeConnectionOptions, 'servers'>;
}

/** `createServiceDirectory({ listen, store: jetStreamDirectory({ servers: 'nats://…' }) })`. */
export function jetStreamDirectory(options: JetStreamDirectoryOptions): DirectoryStoreFactory {
  return { open: () => JetStreamKvStore.open(options) };
}

/** What a registration's key holds. */
interface StoredRecord {
  name: string;
  endpoints: string[];
  /** The host id whose lease this registration lives by. */
  lease: string;
  /** The owner's host name, for people reading the bucket. */
  host: string;
}

interface CachedRecord extends StoredRecord {
  id: number;
}

/** A registration made through this instance, and the link that may take it out. */
interface OwnRegistration {
  key: string;
  linkId: string;
}

const SERVICE_PREFIX = 'svc.';
const LEASE_PREFIX = 'lease.';
const keyOf = (name: string): string => SERVICE_PREFIX + Buffer.from(name, 'utf8').toString('base64url');
const nameOf = (key: string): string => Buffer.from(key.slice(SERVICE_PREFIX.length), 'base64url').toString('utf8');
/** `host:port` of each server URL (4222 when none is given), as `URL.host` spells it. */
function serverHosts(servers: string | string[]): Set<string> {
  const hosts = new Set<string>();
  for (const server of [servers].flat()) {
    try {
      const url = new URL(server.includes('://') ? server : `nats://${server}`);
      hosts.add(url.port ? url.host.toLowerCase() : `${url.host.toLowerCase()}:4222`);
    } catch {
      // Not a URL: nats.js will say so when it connects.
    }
  }
  return hosts;
}
const isWrongSequence = (err: unknown): boolean => /wrong last sequence/i.test((err as Error).message ?? '');

export class JetStreamKvStore implements DirectoryStore {
  readonly kind = 'jetstream';
  private readonly cache = new Map<string, CachedRecord>();
  private readonly own = new Map<number, OwnRegistration>();
  /** Lease key → its last revision, for deletes checked by revision. */
  private readonly leaseRevisions = new Map<string, number>();
  private readonly watchers = new Set<DirectoryStoreWatcher>();
  /** Links with a create in flight, and those of them that closed meanwhile. */
  private readonly registering = new Map<string, number>();
  private readonly closedWhileRegistering = new Set<string>();
  private readonly clock: LeaseClock;
  private readonly leaseKey: string;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Deletes that could not reach the bucket (NATS down, no leader), retried on every tick: key → revision. */
  private readonly retries = new Map<string, number>();
  private closing: Promise<void> | undefined;
  private stopWatch: () => void = () => {};
  private ownLeaseSeen = 0;
  private onOwnLease: (() => void) | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    readonly hostId: string,
    leaseMs: number,
    /** `host:port` of each NATS server this store was given. */
    private readonly servers: ReadonlySet<string>,
  ) {
    this.clock = new LeaseClock(leaseMs);
    this.leaseKey = LEASE_PREFIX + hostId;
  }

  static async open(options: JetStreamDirectoryOptions): Promise<JetStreamKvStore> {
    const [{ connect, nuid }, { Kvm }] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/kv')]);
    const leaseMs = options.leaseMs ?? 3_000;
    let nc: NatsConnection;
    try {
      nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250, ...options.connection, servers: options.servers });
    } catch (err) {
      throw new DirectoryUnavailableError(`cannot reach NATS at ${String(options.servers)}: ${(err as Error).message}`);
    }
    try {
      const kv = await new Kvm(nc).create(options.bucket ?? 'qi-directory', { history: 1, replicas: options.replicas ?? 1, timeout: leaseMs });
      const store = new JetStreamKvStore(nc, kv, options.hostId ?? nuid.next(), leaseMs, serverHosts(options.servers));
      await store.start();
      return store;
    } catch (err) {
      await nc.close();
      if (err instanceof DirectoryUnavailableError) throw err;
      throw new DirectoryUnavailableError(`cannot open the directory bucket: ${(err as Error).message}`);
    }
  }

  /** Watches the bucket, takes this host's lease, and resolves once the watch has delivered everything before it. */
  private async start(): Promise<void> {
    const watch = await this.kv.watch();
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) this.apply(entry);
    })();
    const revision = await this.kv.put(this.leaseKey, this.leaseValue());
    // The watch delivers in stream order: once it shows our lease, it has shown every registration before it.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DirectoryUnavailableError('the directory bucket\'s watch did not catch up')), 2 * this.clock.leaseMs);
      this.onOwnLease = () => {
        if (this.ownLeaseSeen < revision) return;
        clearTimeout(timer);
        this.onOwnLease = undefined;
        resolve();
      };
      this.onOwnLease();
    });
    const tick = Math.max(10, Math.floor(this.clock.leaseMs / 3));
    this.timers.push(setInterval(() => void this.renew(), tick), setInterval(() => void this.reap(), tick));
  }

  private leaseValue(): string {
    return JSON.stringify({ host: hostname(), pid: process.pid });
  }

  private async renew(): Promise<void> {
    if (this.closing) return;
    try {
      const revision = await this.kv.put(this.leaseKey, this.leaseValue(), { timeout: this.clock.leaseMs });
      this.leaseRevisions.set(this.leaseKey, revision);
      this.clock.ownRenewal(true);
      for (const [key, at] of this.retries) {
        this.retries.delete(key);
        await this.deleteChecked(key, at);
      }
    } catch {
      // Nor can this instance see the others' renewals now (no leader, or no NATS): judge nobody until it can.
      this.clock.ownRenewal(false);
    }
  }

  /** Deletes what lapsed leases still hold, then the lease keys; each delete checked by revision. */
  private async reap(): Promise<void> {
    if (this.closing) return;
    for (const hostId of this.clock.lapsed(this.hostId)) {
      const held = [...this.cache.values()].filter((record) => record.lease === hostId);
      await Promise.all(held.map((record) => this.deleteChecked(keyOf(record.name), record.id)));
      const leaseKey = LEASE_PREFIX + hostId;
      const leaseRevision = this.leaseRevisions.get(leaseKey);
      if (leaseRevision !== undefined) await this.deleteChecked(leaseKey, leaseRevision);
      if (held.length === 0 && leaseRevision === undefined) this.clock.forget(hostId);
    }
  }

  /**
   * A delete of `key` at `revision`. One already done, or overtaken by a newer write (the server answers "wrong last
   * sequence"), is not an error; one that could not reach the bucket is tried again on the next renewal.
   */
  private async deleteChecked(key: string, revision: number): Promise<void> {
    try {
      await this.kv.delete(key, { previousSeq: revision });
    } catch (err) {
      if (!isWrongSequence(err) && !this.closing) this.retries.set(key, revision);
    }
  }

  /** One watch event: the cache, the lease clock and the watchers follow the bucket. */
  private apply(entry: KvWatchEntry): void {
    const live = entry.operation === 'PUT';
    if (entry.key.startsWith(LEASE_PREFIX)) {
      const hostId = entry.key.slice(LEASE_PREFIX.length);
      if (live) {
        this.clock.renewed(hostId);
        this.leaseRevisions.set(entry.key, entry.revision);
      } else {
        this.clock.released(hostId);
        this.leaseRevisions.delete(entry.key);
      }
      if (entry.key === this.leaseKey) {
        this.ownLeaseSeen = Math.max(this.ownLeaseSeen, entry.revision);
        this.onOwnLease?.();
      }
      return;
    }
    if (!entry.key.startsWith(SERVICE_PREFIX)) return;
    const name = nameOf(entry.key);
    const before = this.cache.get(name);
    if (before) {
      this.cache.delete(name);
      this.own.delete(before.id);
      this.emit('removed', name);
    }
    if (!live) return;
    let stored: StoredRecord;
    try {
      stored = entry.json<StoredRecord>();
    } catch {
      return; // Not ours to read: someone else's writes in the bucket.
    }
    if (typeof stored.lease !== 'string' || !Array.isArray(stored.endpoints)) return;
    this.cache.set(name, { ...stored, name, id: entry.revision });
    this.clock.noticed(stored.lease);
    this.emit('added', name);
  }

  private emit(change: 'added' | 'removed', name: string): void {
    for (const watcher of this.watchers) watcher[change](name);
  }

  async register(registration: Registration): Promise<number> {
    if (this.closing) throw new ClosedError('the directory is closing');
    const { name, endpoints, linkId } = registration;
    const key = keyOf(name);
    const value: StoredRecord = { name, endpoints, lease: this.hostId, host: hostname() };
    this.registering.set(linkId, (this.registering.get(linkId) ?? 0) + 1);
    let revision: number;
    try {
      revision = await this.kv.create(key, JSON.stringify(value));
    } catch (err) {
      if (isWrongSequence(err)) throw new ServiceAlreadyRegisteredError(`service '${name}' is already registered`);
      throw new DirectoryUnavailableError(`cannot register '${name}': ${(err as Error).message}`);
    } finally {
      const left = this.registering.get(linkId)! - 1;
      if (left > 0) this.registering.set(linkId, left);
      else this.registering.delete(linkId);
    }
    const cached = this.cache.get(name);
    if (!cached || cached.id < revision) {
      this.cache.set(name, { ...value, id: revision });
      if (cached) this.emit('removed', name);
      this.emit('added', name);
    }
    this.own.set(revision, { key, linkId });
    // The link went while its registration was on its way: the registration goes with it.
    if (this.closedWhileRegistering.has(linkId)) {
      await this.unregister(revision, linkId);
      if (!this.registering.has(linkId)) this.closedWhileRegistering.delete(linkId);
    }
    return revision;
  }

  async unregister(id: number, linkId: string): Promise<void> {
    const own = this.own.get(id);
    if (!own) {
      const elsewhere = [...this.cache.values()].some((record) => record.id === id);
      if (elsewhere) throw new UnauthorizedError(`service ${id} was registered through another directory instance`);
      return;
    }
    if (own.linkId !== linkId) throw new UnauthorizedError(`service ${id} was registered by another link`);
    this.own.delete(id);
    await this.deleteChecked(own.key, id);
  }

  async lookup(name: string): Promise<ServiceRecord | undefined> {
    let entry;
    try {
      entry = await this.kv.get(keyOf(name));
    } catch (err) {
      throw new DirectoryUnavailableError(`cannot look '${name}' up: ${(err as Error).message}`);
    }
    if (!entry || entry.operation !== 'PUT') return undefined;
    const stored = entry.json<StoredRecord>();
    return { id: entry.revision, name, endpoints: stored.endpoints };
  }

  /** What the watch has delivered: every instance's registrations, a few milliseconds behind the bucket at most. */
  async list(): Promise<ServiceRecord[]> {
    return this.records();
  }

  records(): ServiceRecord[] {
    return [...this.cache.values()].map(({ id, name, endpoints }) => ({ id, name, endpoints }));
  }

  countOfLink(linkId: string): number {
    return [...this.own.values()].filter((own) => own.linkId === linkId).length + (this.registering.get(linkId) ?? 0);
  }

  linkClosed(linkId: string): void {
    if (this.registering.has(linkId)) this.closedWhileRegistering.add(linkId);
    for (const [id, own] of this.own) if (own.linkId === linkId) void this.unregister(id, linkId);
  }

  sharedEndpoint(endpoint: URL): boolean {
    return endpoint.protocol === 'nats:' && this.servers.has(endpoint.host.toLowerCase());
  }

  watch(watcher: DirectoryStoreWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      const own = [...this.own];
      this.own.clear();
      await Promise.all(own.map(([id, { key }]) => this.deleteChecked(key, id)));
      const leaseRevision = this.leaseRevisions.get(this.leaseKey);
      if (leaseRevision !== undefined) await this.deleteChecked(this.leaseKey, leaseRevision);
      this.watchers.clear();
      this.stopWatch();
      await this.nc.close();
    })();
    return this.closing;
  }

  toJSON(): object {
    return { kind: this.kind, hostId: this.hostId, services: this.cache.size, own: this.own.size };
  }
}

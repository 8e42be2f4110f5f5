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
 * checked by revision, so concurrent reapers are harmless (all but one delete fail, and are ignored). A silence
 * counts only while the instance's watch shows its own renewals (observed time), a stalled watch is replaced by one
 * resuming after its last revision, and a host whose registrations were reaped registers them again
 * (docs/ARCHITECTURE.md, "A directory per host").
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
  value: StoredRecord;
  /** Set while it is being registered again after someone else deleted it. */
  restoring?: boolean;
}

type KvWatch = Awaited<ReturnType<KV['watch']>>;

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
  /** Service key → the newest revision this instance knows of it (its own writes, or the watch's). */
  private readonly revisions = new Map<string, number>();
  private readonly own = new Map<number, OwnRegistration>();
  /** An id this instance registered again (after a reaper deleted it) → the id it has now. */
  private readonly renumbered = new Map<number, number>();
  /** Lease key → its last revision, for deletes checked by revision. */
  private readonly leaseRevisions = new Map<string, number>();
  private readonly watchers = new Set<DirectoryStoreWatcher>();
  /** Links with a create in flight, and those of them that closed meanwhile. */
  private readonly registering = new Map<string, number>();
  private readonly closedWhileRegistering = new Set<string>();
  private readonly clock: LeaseClock;
  private readonly leaseKey: string;
  /** P: how often the lease is renewed, and how long a renewal may take. */
  private readonly periodMs: number;
  private renewTimer: NodeJS.Timeout | undefined;
  /** This instance's own deletes that could not reach the bucket, retried after every renewal: key → revision. */
  private readonly retries = new Map<string, number>();
  /** Own registrations deleted by someone else whose new create failed for want of the bucket: tried again. */
  private readonly toRestore = new Set<number>();
  private closing: Promise<void> | undefined;
  private stopWatch: () => void = () => {};
  /** Which watch is current: entries of a replaced one are ignored. */
  private watchGeneration = 0;
  private rewatching = false;
  /** The newest revision the watch delivered: a new watch resumes after it. */
  private lastRevision = 0;
  /** This instance's oldest renewal the watch has not shown yet, and when it succeeded: if not soon, it is stalled. */
  private unseenRenewal: { revision: number; at: number } | undefined;
  private ownLeaseSeen = 0;
  private onOwnLease: (() => void) | undefined;
  private reaping = false;
  /** Counters for diagnostics. */
  private rewatches = 0;
  private restored = 0;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    readonly hostId: string,
    leaseMs: number,
    /** `host:port` of each NATS server this store was given. */
    private readonly servers: ReadonlySet<string>,
  ) {
    this.periodMs = Math.max(10, Math.floor(leaseMs / 3));
    this.clock = new LeaseClock(leaseMs, this.periodMs);
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
    this.follow(await this.kv.watch());
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
    }).catch((err: unknown) => {
      this.stopWatch();
      throw err;
    });
    this.schedule(this.periodMs);
  }

  /**
   * Applies what `watch` delivers until another watch replaces it. nats.js's KV watch is an ordered consumer of one
   * replica: when that server dies, the watch goes silent (it notices after ~60 s of missed heartbeats), so
   * `tick` replaces it by a watch resuming after the last revision delivered.
   */
  private follow(watch: KvWatch): void {
    const generation = ++this.watchGeneration;
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) {
        if (generation !== this.watchGeneration) break;
        this.apply(entry);
      }
    })().catch(() => {
      // A watch that ended in error is replaced like a stalled one.
    });
  }

  private async rewatch(): Promise<void> {
    if (this.rewatching || this.closing) return;
    this.rewatching = true;
    try {
      // Right after an election the first consumer create can go unanswered for the API's 5 s while the next one
      // works at once (seen on 2.9.10): give each attempt one period, and stop one that answers too late.
      const attempt = this.kv.watch({ resumeFromRevision: this.lastRevision + 1 });
      let timer: NodeJS.Timeout | undefined;
      const watch = await Promise.race([attempt, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.stallMs())))]);
      clearTimeout(timer);
      if (!watch) {
        attempt.then((late) => late.stop(), () => {});
        return;
      }
      if (this.closing) return watch.stop();
      const stale = this.stopWatch;
      this.follow(watch);
      stale();
      this.rewatches++;
    } catch {
      // No leader to create it on yet: the next tick tries again.
    } finally {
      this.rewatching = false;
    }
  }

  private schedule(ms: number): void {
    if (this.closing) return;
    this.renewTimer = setTimeout(() => void this.tick(), ms);
  }

  /** How long the watch may take to show a renewal before it counts as stalled. */
  private stallMs(): number {
    return Math.max(this.periodMs, 500);
  }

  /** Every P: replace a stalled watch, renew the lease (sooner again after a failure). */
  private async tick(): Promise<void> {
    const unseen = this.unseenRenewal;
    if (unseen && performance.now() - unseen.at >= this.stallMs()) void this.rewatch();
    const ok = await this.renew();
    this.schedule(ok ? this.periodMs : Math.min(this.periodMs, 250));
  }

  private leaseValue(): string {
    return JSON.stringify({ host: hostname(), pid: process.pid });
  }

  /** Puts this host's lease; after it works, what could not reach the bucket before is tried again. */
  private async renew(): Promise<boolean> {
    if (this.closing) return false;
    try {
      const revision = await this.kv.put(this.leaseKey, this.leaseValue(), { timeout: this.periodMs });
      if (!this.unseenRenewal && revision > this.ownLeaseSeen) this.unseenRenewal = { revision, at: performance.now() };
      this.leaseRevisions.set(this.leaseKey, revision);
    } catch {
      return false;
    }
    for (const [key, at] of this.retries) {
      this.retries.delete(key);
      await this.deleteChecked(key, at, true);
    }
    for (const id of this.toRestore) {
      this.toRestore.delete(id);
      void this.restore(id);
    }
    return true;
  }

  /**
   * Deletes what lapsed leases still hold, then the lease keys; each delete checked by revision. Run when the watch
   * delivers this instance's own renewal, the only time a silence is known to be one (lease-clock.ts).
   */
  private async reap(): Promise<void> {
    if (this.closing || this.reaping) return;
    this.reaping = true;
    try {
      for (const hostId of this.clock.lapsed(this.hostId)) {
        const held = [...this.cache.values()].filter((record) => record.lease === hostId);
        // Not retried: a judgement is only as good as the proof it was made on; the next proof judges again.
        await Promise.all(held.map((record) => this.deleteChecked(keyOf(record.name), record.id, false)));
        const leaseKey = LEASE_PREFIX + hostId;
        const leaseRevision = this.leaseRevisions.get(leaseKey);
        if (leaseRevision !== undefined) await this.deleteChecked(leaseKey, leaseRevision, false);
        if (held.length === 0 && leaseRevision === undefined) this.clock.forget(hostId);
      }
    } finally {
      this.reaping = false;
    }
  }

  /**
   * A delete of `key` at `revision`. One already done, or overtaken by a newer write (the server answers "wrong last
   * sequence"), is not an error; one that could not reach the bucket is tried again after the next renewal if `retry`.
   */
  private async deleteChecked(key: string, revision: number, retry: boolean): Promise<void> {
    try {
      await this.kv.delete(key, { previousSeq: revision });
    } catch (err) {
      if (retry && !isWrongSequence(err) && !this.closing) this.retries.set(key, revision);
    }
  }

  /** One watch event: the cache, the lease clock and the watchers follow the bucket. */
  private apply(entry: KvWatchEntry): void {
    // A replacing watch resumes after the last revision; what it delivers twice is skipped.
    if (entry.revision <= this.lastRevision) return;
    this.lastRevision = entry.revision;
    const live = entry.operation === 'PUT';
    if (entry.key.startsWith(LEASE_PREFIX)) return this.applyLease(entry.key, live, entry.revision);
    if (!entry.key.startsWith(SERVICE_PREFIX)) return;
    // This instance's own create may have told it of a newer revision already.
    if (entry.revision <= (this.revisions.get(entry.key) ?? 0)) return;
    this.revisions.set(entry.key, entry.revision);
    const name = nameOf(entry.key);
    const before = this.cache.get(name);
    if (before) {
      this.cache.delete(name);
      this.emit('removed', name);
    }
    if (live) {
      let stored: StoredRecord | undefined;
      try {
        stored = entry.json<StoredRecord>();
      } catch {
        // Not ours to read: someone else's writes in the bucket.
      }
      if (stored && typeof stored.lease === 'string' && Array.isArray(stored.endpoints)) {
        this.cache.set(name, { ...stored, name, id: entry.revision });
        this.clock.noticed(stored.lease);
        this.emit('added', name);
      }
    }
    // Our registration went, and not through us (we forget ours before deleting them): a reaper took it while this
    // host was frozen or cut off. The service is still here, so it is registered again.
    if (before && this.own.has(before.id)) void this.restore(before.id);
  }

  private applyLease(key: string, live: boolean, revision: number): void {
    const hostId = key.slice(LEASE_PREFIX.length);
    if (live) {
      this.clock.renewed(hostId);
      this.leaseRevisions.set(key, revision);
    } else {
      this.clock.released(hostId);
      this.leaseRevisions.delete(key);
    }
    if (key !== this.leaseKey || !live) return;
    this.ownLeaseSeen = Math.max(this.ownLeaseSeen, revision);
    if (this.unseenRenewal && this.unseenRenewal.revision <= revision) this.unseenRenewal = undefined;
    this.clock.current();
    this.onOwnLease?.();
    void this.reap();
  }

  /** Registers own registration `id` again, under a new id, after someone else deleted it. */
  private async restore(id: number): Promise<void> {
    const own = this.own.get(id);
    if (!own || own.restoring || this.closing) return;
    own.restoring = true;
    // The lease first: a reaper that sees the record again must have seen the lease renewed before it.
    let revision: number | undefined;
    let taken = false;
    if (await this.renew()) {
      try {
        revision = await this.kv.create(own.key, JSON.stringify(own.value));
      } catch (err) {
        taken = isWrongSequence(err);
      }
    }
    own.restoring = false;
    if (this.own.get(id) !== own || this.closing) {
      // Its link closed meanwhile: what was registered again goes too.
      if (revision !== undefined) await this.deleteChecked(own.key, revision, true);
      return;
    }
    if (taken) {
      // Someone else holds the name now (a standby took over): this host's registration is over.
      this.own.delete(id);
      return;
    }
    if (revision === undefined) {
      this.toRestore.add(id);
      return;
    }
    this.own.delete(id);
    this.own.set(revision, own);
    this.renumbered.set(id, revision);
    for (const [old, now] of this.renumbered) if (now === id) this.renumbered.set(old, revision);
    this.restored++;
    this.learn(own.key, own.value, revision);
  }

  /** This instance wrote `value` at `revision`: the cache shows it now, unless the watch told of something newer. */
  private learn(key: string, value: StoredRecord, revision: number): void {
    if (revision <= (this.revisions.get(key) ?? 0)) return;
    this.revisions.set(key, revision);
    const cached = this.cache.get(value.name);
    this.cache.set(value.name, { ...value, id: revision });
    if (cached) this.emit('removed', value.name);
    this.emit('added', value.name);
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
    this.own.set(revision, { key, linkId, value });
    const known = this.revisions.get(key) ?? 0;
    this.learn(key, value, revision);
    // The watch already delivered something newer of this key than our create: ours went before we knew it was ours.
    if (known > revision && this.cache.get(name)?.id !== revision) void this.restore(revision);
    // The link went while its registration was on its way: the registration goes with it.
    if (this.closedWhileRegistering.has(linkId)) {
      await this.unregister(revision, linkId);
      if (!this.registering.has(linkId)) this.closedWhileRegistering.delete(linkId);
    }
    return revision;
  }

  async unregister(id: number, linkId: string): Promise<void> {
    const current = this.renumbered.get(id) ?? id;
    const own = this.own.get(current);
    if (!own) {
      const elsewhere = [...this.cache.values()].some((record) => record.id === current);
      if (elsewhere) throw new UnauthorizedError(`service ${id} was registered through another directory instance`);
      return;
    }
    if (own.linkId !== linkId) throw new UnauthorizedError(`service ${id} was registered by another link`);
    this.own.delete(current);
    for (const [old, now] of this.renumbered) if (now === current) this.renumbered.delete(old);
    await this.deleteChecked(own.key, current, true);
  }

  /**
   * A name the watch has delivered is answered from that view, as `list()` is: a lookup is a local read, and goes
   * on while the bucket has no leader. A name the view lacks may be newer than the watch (registered a moment ago
   * at another instance), so the bucket is asked (a direct get, which any replica may answer); a replica behind
   * what this instance wrote or has seen never makes the answer older. A record removed elsewhere can be answered
   * until its delete is delivered (milliseconds; up to the watch's stall check when a node dies), as a lagging
   * replica's could: a bind to it fails and the client binds again.
   */
  async lookup(name: string): Promise<ServiceRecord | undefined> {
    const seen = this.cache.get(name);
    if (seen) return { id: seen.id, name, endpoints: seen.endpoints };
    const key = keyOf(name);
    let entry;
    try {
      entry = await this.kv.get(key);
    } catch (err) {
      throw new DirectoryUnavailableError(`cannot look '${name}' up: ${(err as Error).message}`);
    }
    if (!entry || entry.revision < (this.revisions.get(key) ?? 0)) {
      const cached = this.cache.get(name);
      return cached && { id: cached.id, name, endpoints: cached.endpoints };
    }
    if (entry.operation !== 'PUT') return undefined;
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
      clearTimeout(this.renewTimer);
      const own = [...this.own];
      this.own.clear();
      await Promise.all(own.map(([id, { key }]) => this.deleteChecked(key, id, false)));
      const leaseRevision = this.leaseRevisions.get(this.leaseKey);
      if (leaseRevision !== undefined) await this.deleteChecked(this.leaseKey, leaseRevision, false);
      this.watchers.clear();
      this.stopWatch();
      await this.nc.close();
    })();
    return this.closing;
  }

  toJSON(): object {
    return { kind: this.kind, hostId: this.hostId, services: this.cache.size, own: this.own.size, rewatches: this.rewatches, restored: this.restored };
  }
}

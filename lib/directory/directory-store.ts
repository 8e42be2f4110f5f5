/**
 * Where a ServiceDirectory keeps its registrations. The directory's methods (directory-service.ts) check limits,
 * policy and ownership, then ask the store; the store decides atomically whether a name is free and tells its
 * watchers what came and went. Two stores: the in-process registry (the default, in the directory actor's
 * context) and a JetStream KV bucket shared by one directory instance per host (jetstream-store.ts).
 */
import type { ServiceRecord } from './directory-client.js';
import type { Registration } from './registry.js';

/** What a store tells its watchers: a name was registered, or its registration went (unregistered, link or host gone). */
export interface DirectoryStoreWatcher {
  added(name: string): void;
  removed(name: string): void;
}

export interface DirectoryStore {
  /** Which store this is, for diagnostics: `in-process` or `jetstream`. */
  readonly kind: string;
  /**
   * Registers `registration` if its name is free, atomically against every other writer of the store; resolves
   * with the record's id. Rejects with ServiceAlreadyRegisteredError when the name is taken.
   */
  register(registration: Registration): Promise<number>;
  /**
   * Takes registration `id` out. Rejects with UnauthorizedError unless `linkId` registered it (through this
   * directory instance); an unknown id is a no-op.
   */
  unregister(id: number, linkId: string): Promise<void>;
  lookup(name: string): Promise<ServiceRecord | undefined>;
  list(): Promise<ServiceRecord[]>;
  /** What this instance knows now, without a round trip (for limits and `ServiceDirectory.services()`). */
  records(): ServiceRecord[];
  /** How many registrations link `linkId` holds through this instance. */
  countOfLink(linkId: string): number;
  /** A registration link closed: what it registered goes. */
  linkClosed(linkId: string): void;
  watch(watcher: DirectoryStoreWatcher): () => void;
  /**
   * Whether `endpoint` is one every host of this store reaches through the store's own network (a nats:// URL
   * on one of its NATS servers): the default registration policy lets a remote registrant name it, as it does
   * endpoints on the registrant's own host.
   */
  sharedEndpoint(endpoint: URL): boolean;
  /** Takes this instance's registrations out and lets go of the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * What `createServiceDirectory({ store })` takes: a store opened before the directory listens. No store holds the
 * directory's own record: every instance is its own `ServiceDirectory` (id 1) at its own endpoints.
 */
export interface DirectoryStoreFactory {
  open(): Promise<DirectoryStore>;
}

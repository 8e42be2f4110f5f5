/**
 * The default DirectoryStore: the registry in the ServiceDirectory actor's context, so that every registration is
 * a transition the inspector shows. The actor's guard decides whether a name is free and its actions emit the
 * added/removed notifications; this adapter only turns the store's calls into the actor's events.
 */
import { ServiceAlreadyRegisteredError, ClosedError, UnauthorizedError } from '../protocol/errors.js';
import type { ServiceRecord } from './directory-client.js';
import type { DirectoryStore, DirectoryStoreWatcher } from './directory-store.js';
import type { RegisteredService, Registration, RegistryActor } from './registry.js';

/** Where the actor's actions report changes; the store's watchers subscribe to it. */
export class RegistryChanges implements DirectoryStoreWatcher {
  private readonly watchers = new Set<DirectoryStoreWatcher>();

  added(name: string): void {
    for (const watcher of this.watchers) watcher.added(name);
  }

  removed(name: string): void {
    for (const watcher of this.watchers) watcher.removed(name);
  }

  watch(watcher: DirectoryStoreWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Watchers are handles, not state: nothing to show in a snapshot. */
  toJSON(): object {
    return {};
  }
}

const publicRecord = ({ id, name, endpoints }: RegisteredService): ServiceRecord => ({ id, name, endpoints });

export class InProcessStore implements DirectoryStore {
  readonly kind = 'in-process';

  constructor(
    private readonly actor: () => RegistryActor,
    private readonly changes: RegistryChanges,
  ) {}

  private services(): Record<string, RegisteredService> {
    return this.actor().getSnapshot().context.services;
  }

  private entry(name: string): RegisteredService | undefined {
    const services = this.services();
    return Object.hasOwn(services, name) ? services[name] : undefined;
  }

  async register(registration: Registration): Promise<number> {
    // The actor decides (its guard refuses a name in use, its action gives the id); this reports what it did.
    const before = this.entry(registration.name);
    this.actor().send({ type: 'SERVICE.REGISTER', registration });
    const after = this.entry(registration.name);
    if (!after) throw new ClosedError('the directory is closing');
    if (after === before) throw new ServiceAlreadyRegisteredError(`service '${registration.name}' is already registered`);
    return after.id;
  }

  async unregister(id: number, linkId: string): Promise<void> {
    const record = Object.values(this.services()).find((service) => service.id === id);
    // A record belongs to the link that registered it: no one else may take a service out of the directory.
    if (record && record.linkId !== linkId) throw new UnauthorizedError(`service ${id} was registered by another link`);
    this.actor().send({ type: 'SERVICE.UNREGISTER', id });
  }

  async lookup(name: string): Promise<ServiceRecord | undefined> {
    const entry = this.entry(name);
    return entry && publicRecord(entry);
  }

  async list(): Promise<ServiceRecord[]> {
    return this.records();
  }

  records(): ServiceRecord[] {
    return Object.values(this.services()).map(publicRecord);
  }

  countOfLink(linkId: string): number {
    return Object.values(this.services()).filter((s) => s.linkId === linkId).length;
  }

  linkClosed(linkId: string): void {
    this.actor().send({ type: 'LINK.CLOSED', linkId });
  }

  watch(watcher: DirectoryStoreWatcher): () => void {
    return this.changes.watch(watcher);
  }

  /** One machine: no network of its own. */
  sharedEndpoint(): boolean {
    return false;
  }

  /** The actor's registry goes with the actor. */
  async close(): Promise<void> {}
}

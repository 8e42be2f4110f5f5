import type { Actor } from 'xstate';
import { serviceDirectoryMachine, type ServiceDirectoryActor } from '../../actors/service-directory.js';
import { directoryMembers, DirectorySignals } from '../directory/directory-service.js';
import type { DirectoryStore, DirectoryStoreFactory } from '../directory/directory-store.js';
import { InProcessStore, RegistryChanges } from '../directory/in-process-store.js';
import { onOwnHost, type RegistrationPolicy } from '../directory/registration-policy.js';
import { restoreError, startActor } from '../actor-runtime.js';
import { DIRECTORY_NAME, DIRECTORY_SERVICE_ID, type ServiceRecord } from '../directory/directory-client.js';
import { ServiceHost } from '../service/service-host.js';
import { ActorHandle } from './actor-handle.js';
import { closeActor, settled } from './lifecycle.js';
import { resolveOptions, type CommonOptions } from './options.js';

export interface ServiceDirectoryOptions extends CommonOptions {
  /** Endpoints to listen on, e.g. `['memory://sd', 'tcp://127.0.0.1:0']`. */
  listen: string[];
  /**
   * Who may register, and which endpoints a record may name. Default: with `authenticate`, identities with the
   * `service` role; without, anyone; and a remote registrant only endpoints on its own host (0.0.0.0 is replaced
   * by its address), so that no one can make gateways dial another host; with a shared `store`, also `nats://`
   * endpoints on the store's own NATS servers.
   */
  registration?: RegistrationPolicy;
  /**
   * Where registrations live. Default: in this process (the directory actor's context). For one directory per
   * host over a shared JetStream bucket: `store: jetStreamDirectory({ servers: 'nats://…' })`.
   */
  store?: DirectoryStoreFactory;
}

/** A running ServiceDirectory: the registry services register with and gateways look services up in. */
export class ServiceDirectory extends ActorHandle<typeof serviceDirectoryMachine> {

  /** @internal Use `createServiceDirectory`. */
  constructor(
    actor: Actor<typeof serviceDirectoryMachine>,
    private readonly store: DirectoryStore,
  ) {
    super(actor);
  }

  /** The endpoints listened on, with ephemeral ports resolved. */
  get endpoints(): string[] {
    return this.actor.getSnapshot().context.endpoints;
  }

  /** The first endpoint: what to pass as `directory` to services and gateways. */
  get url(): string {
    return this.endpoints[0]!;
  }

  /** Every registered service, the directory itself included. */
  services(): ServiceRecord[] {
    const own = Object.values(this.actor.getSnapshot().context.services).map(({ id, name, endpoints }) => ({ id, name, endpoints }));
    return this.store.kind === 'in-process' ? own : [...own, ...this.store.records()];
  }

  /** Which store holds the registrations: `in-process` or `jetstream`. */
  get storeKind(): string {
    return this.store.kind;
  }

  /** Takes this instance's registrations out of its store, then closes every link and listener. Idempotent. */
  override async close(): Promise<void> {
    await this.store.close();
    return super.close();
  }

}

/** Starts a ServiceDirectory and resolves once it listens. */
export async function createServiceDirectory(options: ServiceDirectoryOptions): Promise<ServiceDirectory> {
  const { transports, inspect, logger, limits } = resolveOptions(options);
  let actor: ServiceDirectoryActor | undefined;
  const changes = new RegistryChanges();
  // A store is opened before the directory listens, so that no registration can reach the wrong one.
  const store: DirectoryStore = options.store ? await options.store.open() : new InProcessStore(() => actor!, changes);
  const self = (): ServiceRecord => ({ id: DIRECTORY_SERVICE_ID, name: DIRECTORY_NAME, endpoints: actor!.getSnapshot().context.endpoints });
  const signals = new DirectorySignals();
  const registration: RegistrationPolicy = { ...options.registration };
  // A shared store's network (nats:// on its servers) is reachable from every host, like the registrant's own host.
  registration.allowEndpoint ??= (endpoint, registrant) => onOwnHost(endpoint, registrant) || store.sharedEndpoint(endpoint);
  const policy = { registration, authenticates: options.authenticate !== undefined };
  const host = new ServiceHost(DIRECTORY_NAME, directoryMembers(() => store, self, signals, policy), transports, limits, {
    closed: (session) => store.linkClosed(session.id),
  });
  const started = startActor(serviceDirectoryMachine, { input: { host, listen: options.listen, changes }, inspect, logger, systemId: 'serviceDirectory' });
  actor = started;
  const snapshot = await settled(started, 'ready');
  if (!snapshot.matches('ready')) {
    await closeActor(started);
    await store.close();
    throw restoreError(snapshot.context.error, 'the service directory could not start');
  }
  store.watch({ added: (name) => signals.serviceAdded.emit(name), removed: (name) => signals.serviceRemoved.emit(name) });
  return new ServiceDirectory(started, store);
}

import type { Actor } from 'xstate';
import { serviceDirectoryMachine, type ServiceDirectoryActor } from '../../actors/service-directory.js';
import { directoryMembers, DirectorySignals } from '../directory/directory-service.js';
import type { RegistrationPolicy } from '../directory/registration-policy.js';
import { restoreError, startActor } from '../actor-runtime.js';
import { DIRECTORY_NAME, type ServiceRecord } from '../directory/directory-client.js';
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
   * by its address), so that no one can make gateways dial another host.
   */
  registration?: RegistrationPolicy;
}

/** A running ServiceDirectory: the registry services register with and gateways look services up in. */
export class ServiceDirectory extends ActorHandle<typeof serviceDirectoryMachine> {

  /** @internal Use `createServiceDirectory`. */
  constructor(actor: Actor<typeof serviceDirectoryMachine>) {
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
    return Object.values(this.actor.getSnapshot().context.services).map(({ id, name, endpoints }) => ({ id, name, endpoints }));
  }

  /** Closes every link and listener. Idempotent. */
  override close(): Promise<void> {
    return super.close();
  }

}

/** Starts a ServiceDirectory and resolves once it listens. */
export async function createServiceDirectory(options: ServiceDirectoryOptions): Promise<ServiceDirectory> {
  const { transports, inspect, logger, limits } = resolveOptions(options);
  let actor: ServiceDirectoryActor | undefined;
  const signals = new DirectorySignals();
  const host = new ServiceHost(DIRECTORY_NAME, directoryMembers(() => actor!, signals, { registration: options.registration ?? {}, authenticates: options.authenticate !== undefined }), transports, limits, {
    closed: (session) => actor?.send({ type: 'LINK.CLOSED', linkId: session.id }),
  });
  const started = startActor(serviceDirectoryMachine, { input: { host, listen: options.listen, signals }, inspect, logger, systemId: 'serviceDirectory' });
  actor = started;
  const snapshot = await settled(started, 'ready');
  if (!snapshot.matches('ready')) {
    await closeActor(started);
    throw restoreError(snapshot.context.error, 'the service directory could not start');
  }
  return new ServiceDirectory(started);
}

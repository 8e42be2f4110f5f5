/**
 * The ServiceDirectory's members as a service: methods register, unregister, lookup, list, and the signals
 * serviceAdded(name) / serviceRemoved(name). The methods read the registry from the directory actor's snapshot and
 * change it by sending events, so every change is a transition the inspector shows; the machine's actions emit
 * the signals.
 */
import {
  BadArgumentsError,
  ClosedError,
  LimitExceededError,
  ServiceAlreadyRegisteredError,
  ServiceNotFoundError,
  UnauthorizedError,
} from '../protocol/errors.js';
import { signal, type Signal } from '../service/members.js';
import { memberTable, type MemberTable } from '../service/meta-object.js';
import { DIRECTORY_NAME, type ServiceRecord } from './directory-client.js';
import type { RegisteredService, RegistryActor } from './registry.js';
import { admitRegistration, type RegistrationPolicy } from './registration-policy.js';

/** The directory as a client sees it: `conn.service<DirectoryService>('ServiceDirectory')`. */
export interface DirectoryService {
  register(name: string, endpoints: string[]): number;
  unregister(id: number): void;
  lookup(name: string): ServiceRecord;
  list(): ServiceRecord[];
  serviceAdded: Signal<[name: string]>;
  serviceRemoved: Signal<[name: string]>;
}

export class DirectorySignals {
  readonly serviceAdded = signal<[name: string]>();
  readonly serviceRemoved = signal<[name: string]>();

  /** Signals are handles, not state: nothing to show in a snapshot. */
  toJSON(): object {
    return {};
  }
}

/**
 * What one registration may hold, and how many the directory keeps. Every client's `list()` carries them all in
 * one frame, so a full directory of the largest records must still make one body a receiver accepts: at most
 * 1,000 records × (a map of 3 + 16 endpoints) ≈ 23,000 items of the 32,768 (MAX_BODY_ITEMS), and ≈ 4.4 MB of the
 * 16 MiB. (With 10,000 services of 1,024-character endpoints, a directory past ~1,400 records made every
 * `services()` fail, and 21,000 registrations stalled it for 1.7 s.) A record's endpoints are dialled by gateways.
 */
export const DIRECTORY_LIMITS = {
  /** Characters in a service name. */
  maxNameLength: 256,
  /** Endpoints in one record, and characters in each. */
  maxEndpoints: 16,
  maxEndpointLength: 256,
  /** Services registered at once, the directory itself included. */
  maxServices: 1_000,
  /** Services one link may have registered at once. */
  maxServicesPerLink: 256,
} as const;

/** Who may register, and where: the directory's `registration` option, and whether it authenticates its peers. */
export interface DirectoryPolicy {
  registration: RegistrationPolicy;
  authenticates: boolean;
}

export function directoryMembers(actor: () => RegistryActor, signals: DirectorySignals, policy: DirectoryPolicy = { registration: {}, authenticates: false }): MemberTable {
  const services = (): Record<string, RegisteredService> => actor().getSnapshot().context.services;
  const publicRecord = ({ id, name, endpoints }: RegisteredService): ServiceRecord => ({ id, name, endpoints });
  return memberTable(
    DIRECTORY_NAME,
    [
      {
        name: 'register',
        arity: 2,
        usesContext: true,
        invoke: ([name, requested], { session, identity }) => {
          if (typeof name !== 'string' || name === '' || !Array.isArray(requested) || !requested.every((e) => typeof e === 'string')) {
            throw new BadArgumentsError('register expects (name: string, endpoints: string[])');
          }
          checkRegistration(name, requested as string[], Object.values(services()), session.id);
          const registrant = { identity, remote: session.remote, inProcess: session.isInProcess };
          const endpoints = admitRegistration(policy.registration, policy.authenticates, registrant, name, requested as string[]);
          // The actor decides (its guard refuses a name in use, its action gives the id); this reports what it did.
          const before = Object.hasOwn(services(), name) ? services()[name] : undefined;
          actor().send({ type: 'SERVICE.REGISTER', registration: { name, endpoints, linkId: session.id } });
          const after = Object.hasOwn(services(), name) ? services()[name] : undefined;
          if (!after) throw new ClosedError('the directory is closing');
          if (after === before) throw new ServiceAlreadyRegisteredError(`service '${name}' is already registered`);
          return after.id;
        },
      },
      {
        name: 'unregister',
        arity: 1,
        usesContext: true,
        invoke: ([id], { session }) => {
          if (typeof id !== 'number') throw new BadArgumentsError('unregister expects (id: number)');
          const record = Object.values(services()).find((service) => service.id === id);
          // A record belongs to the link that registered it: no one else may take a service out of the directory.
          if (record && record.linkId !== session.id) throw new UnauthorizedError(`service ${id} was registered by another link`);
          actor().send({ type: 'SERVICE.UNREGISTER', id });
        },
      },
      {
        name: 'lookup',
        arity: 1,
        invoke: ([name]) => {
          if (typeof name !== 'string' || !Object.hasOwn(services(), name)) throw new ServiceNotFoundError(`no service named '${String(name)}'`);
          return publicRecord(services()[name]!);
        },
      },
      { name: 'list', arity: 0, invoke: () => Object.values(services()).map(publicRecord) },
    ],
    [
      { name: 'serviceAdded', signal: signals.serviceAdded },
      { name: 'serviceRemoved', signal: signals.serviceRemoved },
    ],
  );
}

/** Refuses a registration beyond DIRECTORY_LIMITS, before the actor sees it. */
function checkRegistration(name: string, endpoints: string[], registered: RegisteredService[], linkId: string): void {
  const limits = DIRECTORY_LIMITS;
  if (name.length > limits.maxNameLength) throw new BadArgumentsError(`a service name has at most ${limits.maxNameLength} characters`);
  if (endpoints.length > limits.maxEndpoints) throw new BadArgumentsError(`a service registers at most ${limits.maxEndpoints} endpoints`);
  if (endpoints.some((e) => e.length > limits.maxEndpointLength)) throw new BadArgumentsError(`an endpoint has at most ${limits.maxEndpointLength} characters`);
  if (registered.length >= limits.maxServices) throw new LimitExceededError(`the directory holds at most ${limits.maxServices} services`);
  if (registered.filter((s) => s.linkId === linkId).length >= limits.maxServicesPerLink) {
    throw new LimitExceededError(`one link registers at most ${limits.maxServicesPerLink} services`);
  }
}

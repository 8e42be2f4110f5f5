/**
 * ServiceDirectory: the registry of services and their endpoints. It is itself a service (name
 * `ServiceDirectory`, id 1) with the methods register, unregister, lookup and list, served by a ServiceHost; the
 * registry lives in this machine's context, so the inspector shows every service as it comes and goes.
 *
 *   listening ──▶ ready ──CLOSE──▶ closing ──▶ closed
 *       │          ↺ SERVICE.REGISTER / SERVICE.UNREGISTER / LINK.CLOSED (drops what that link registered)
 *       ▼
 *     failed
 */
import { assign, fromPromise, setup, type ActorRefFrom } from 'xstate';
import { summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import { startListening } from './host-logic.js';
import { DIRECTORY_NAME, DIRECTORY_SERVICE_ID, type ServiceRecord } from '../lib/directory/directory-client.js';
import {
  BadArgumentsError,
  ServiceAlreadyRegisteredError,
  ServiceNotFoundError,
} from '../lib/protocol/errors.js';
import { memberTable, type MemberTable } from '../lib/service/meta-object.js';
import type { ServiceHost } from '../lib/service/service-host.js';

/** A registry entry: the record peers see, and the link that registered it (it goes when that link does). */
export interface RegisteredService extends ServiceRecord {
  linkId: string;
}

export interface ServiceDirectoryInput {
  host: ServiceHost;
  listen: string[];
}

export interface ServiceDirectoryContext extends ServiceDirectoryInput {
  endpoints: string[];
  services: Record<string, RegisteredService>;
  nextId: number;
  error: ErrorSummary | null;
}

export type ServiceDirectoryEvent =
  | { type: 'SERVICE.REGISTER'; service: RegisteredService }
  | { type: 'SERVICE.UNREGISTER'; id: number }
  | { type: 'LINK.CLOSED'; linkId: string }
  | { type: 'CLOSE' };

export const closeHost = fromPromise<void, { host: ServiceHost }>(({ input }) => input.host.close());

export const serviceDirectoryMachine = setup({
  types: {
    context: {} as ServiceDirectoryContext,
    input: {} as ServiceDirectoryInput,
    events: {} as ServiceDirectoryEvent,
  },
  actors: { startListening, closeHost },
  actions: {
    registerSelf: assign(({ context }, endpoints: string[]) => ({
      endpoints,
      services: {
        ...context.services,
        [DIRECTORY_NAME]: { id: DIRECTORY_SERVICE_ID, name: DIRECTORY_NAME, endpoints, linkId: '' },
      },
    })),
    addService: assign(({ context }, service: RegisteredService) => ({
      services: { ...context.services, [service.name]: service },
      nextId: Math.max(context.nextId, service.id + 1),
    })),
    removeService: assign({
      services: ({ context }, id: number) =>
        Object.fromEntries(Object.entries(context.services).filter(([, s]) => s.id !== id || s.id === DIRECTORY_SERVICE_ID)),
    }),
    removeServicesOfLink: assign({
      services: ({ context }, linkId: string) =>
        Object.fromEntries(Object.entries(context.services).filter(([, s]) => s.linkId !== linkId)),
    }),
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    releaseHost: ({ context }) => void context.host.close(),
  },
  guards: {
    nameIsFree: ({ context }, name: string) => !Object.hasOwn(context.services, name),
  },
}).createMachine({
  id: 'serviceDirectory',
  description: 'Registry of services and their endpoints; itself the service "ServiceDirectory" (id 1).',
  context: ({ input }) => ({ ...input, endpoints: [], services: {}, nextId: DIRECTORY_SERVICE_ID + 1, error: null }),
  initial: 'listening',
  states: {
    listening: {
      invoke: {
        src: 'startListening',
        input: ({ context }) => ({ host: context.host, listen: context.listen }),
        onDone: { target: 'ready', actions: { type: 'registerSelf', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
      on: { CLOSE: 'closing' },
    },
    ready: {
      description: 'Answering register, unregister, lookup and list.',
      on: {
        'SERVICE.REGISTER': {
          guard: { type: 'nameIsFree', params: ({ event }) => event.service.name },
          actions: { type: 'addService', params: ({ event }) => event.service },
        },
        'SERVICE.UNREGISTER': { actions: { type: 'removeService', params: ({ event }) => event.id } },
        'LINK.CLOSED': {
          description: 'A registration link closed: the services it registered are gone.',
          actions: { type: 'removeServicesOfLink', params: ({ event }) => event.linkId },
        },
        CLOSE: 'closing',
      },
    },
    closing: {
      invoke: { src: 'closeHost', input: ({ context }) => ({ host: context.host }), onDone: 'closed', onError: 'closed' },
    },
    closed: { type: 'final' },
    failed: { type: 'final', entry: 'releaseHost' },
  },
});

export type ServiceDirectoryActor = ActorRefFrom<typeof serviceDirectoryMachine>;

/**
 * The directory's methods as a service. They read the registry from the actor's snapshot and change it by
 * sending events, so every change is a transition the inspector shows.
 */
export function directoryMembers(actor: () => ServiceDirectoryActor): MemberTable {
  const services = (): Record<string, RegisteredService> => actor().getSnapshot().context.services;
  const publicRecord = ({ id, name, endpoints }: RegisteredService): ServiceRecord => ({ id, name, endpoints });
  return memberTable(DIRECTORY_NAME, [
    {
      name: 'register',
      arity: 2,
      invoke: ([name, endpoints], { session }) => {
        if (typeof name !== 'string' || name === '' || !Array.isArray(endpoints) || !endpoints.every((e) => typeof e === 'string')) {
          throw new BadArgumentsError('register expects (name: string, endpoints: string[])');
        }
        if (Object.hasOwn(services(), name)) throw new ServiceAlreadyRegisteredError(`service '${name}' is already registered`);
        const id = actor().getSnapshot().context.nextId;
        actor().send({ type: 'SERVICE.REGISTER', service: { id, name, endpoints: endpoints as string[], linkId: session.id } });
        return id;
      },
    },
    {
      name: 'unregister',
      arity: 1,
      invoke: ([id]) => {
        if (typeof id !== 'number') throw new BadArgumentsError('unregister expects (id: number)');
        actor().send({ type: 'SERVICE.UNREGISTER', id });
      },
    },
    {
      name: 'lookup',
      arity: 1,
      invoke: ([name]) => {
        const service = typeof name === 'string' ? services()[name] : undefined;
        if (!service || !Object.hasOwn(services(), name as string)) throw new ServiceNotFoundError(`no service named '${String(name)}'`);
        return publicRecord(service);
      },
    },
    {
      name: 'list',
      arity: 0,
      invoke: () => Object.values(services()).map(publicRecord),
    },
  ]);
}

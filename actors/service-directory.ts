/**
 * ServiceDirectory: the registry of services and their endpoints. It is itself a service (name
 * `ServiceDirectory`, id 1) with the methods register, unregister, lookup and list, served by a ServiceHost; the
 * registry lives in this machine's context, so the inspector shows every service as it comes and goes.
 *
 *   listening ──▶ ready ──CLOSE──▶ closing ──▶ closed
 *       │          ↺ SERVICE.REGISTER / SERVICE.UNREGISTER / LINK.CLOSED (drops what that link registered)
 *       ▼
 *     failed
 *
 * Its methods (register, unregister, lookup, list) are in lib/directory/directory-service.ts; they reach this
 * registry through lib/directory/in-process-store.ts, or a JetStream bucket instead (jetstream-store.ts).
 */
import { assign, fromPromise, setup, type ActorRefFrom } from 'xstate';
import { summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import { openListeners } from './host-logic.js';
import { DIRECTORY_NAME, DIRECTORY_SERVICE_ID } from '../lib/directory/directory-client.js';
import type { DirectoryStoreWatcher } from '../lib/directory/directory-store.js';
import type { RegisteredService, Registration, RegistryEvent } from '../lib/directory/registry.js';
import type { ServiceHost } from '../lib/service/service-host.js';

export type { RegisteredService } from '../lib/directory/registry.js';

export interface ServiceDirectoryInput {
  host: ServiceHost;
  listen: string[];
  /**
   * Told by this machine's actions as the registry changes (the in-process store's watchers, which emit
   * serviceAdded / serviceRemoved). With another store the registry holds only the directory itself.
   */
  changes: DirectoryStoreWatcher;
}

export interface ServiceDirectoryContext extends ServiceDirectoryInput {
  endpoints: string[];
  services: Record<string, RegisteredService>;
  nextId: number;
  error: ErrorSummary | null;
}

export type ServiceDirectoryEvent =
  | RegistryEvent
  | { type: 'CLOSE' };

export const closeHost = fromPromise<void, { host: ServiceHost }>(({ input }) => input.host.close());

export const serviceDirectoryMachine = setup({
  types: {
    context: {} as ServiceDirectoryContext,
    input: {} as ServiceDirectoryInput,
    events: {} as ServiceDirectoryEvent,
  },
  actors: { openListeners, closeHost },
  actions: {
    registerSelf: assign(({ context }, endpoints: string[]) => ({
      endpoints,
      services: {
        ...context.services,
        [DIRECTORY_NAME]: { id: DIRECTORY_SERVICE_ID, name: DIRECTORY_NAME, endpoints, linkId: '' },
      },
    })),
    addService: assign(({ context }, registration: Registration) => ({
      services: { ...context.services, [registration.name]: { ...registration, id: context.nextId } satisfies RegisteredService },
      nextId: context.nextId + 1,
    })),
    removeService: assign({
      services: ({ context }, id: number) =>
        Object.fromEntries(Object.entries(context.services).filter(([, s]) => s.id !== id || s.id === DIRECTORY_SERVICE_ID)),
    }),
    removeServicesOfLink: assign({
      services: ({ context }, linkId: string) =>
        Object.fromEntries(Object.entries(context.services).filter(([, s]) => s.linkId !== linkId)),
    }),
    announceAdded: ({ context }, name: string) => context.changes.added(name),
    announceRemoved: ({ context }, id: number) => {
      for (const service of Object.values(context.services)) if (service.id === id) context.changes.removed(service.name);
    },
    announceRemovedOfLink: ({ context }, linkId: string) => {
      for (const service of Object.values(context.services)) {
        if (service.linkId === linkId) context.changes.removed(service.name);
      }
    },
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
        src: 'openListeners',
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
          guard: { type: 'nameIsFree', params: ({ event }) => event.registration.name },
          actions: [
            { type: 'addService', params: ({ event }) => event.registration },
            { type: 'announceAdded', params: ({ event }) => event.registration.name },
          ],
        },
        'SERVICE.UNREGISTER': {
          actions: [
            { type: 'announceRemoved', params: ({ event }) => event.id },
            { type: 'removeService', params: ({ event }) => event.id },
          ],
        },
        'LINK.CLOSED': {
          description: 'A registration link closed: the services it registered are gone.',
          actions: [
            { type: 'announceRemovedOfLink', params: ({ event }) => event.linkId },
            { type: 'removeServicesOfLink', params: ({ event }) => event.linkId },
          ],
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

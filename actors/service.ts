/**
 * Service: serves a user's object on one or more endpoints and keeps it registered with the ServiceDirectory.
 *
 *   listening ──▶ registering ──registered──▶ ready ──directory link lost──▶ waitingForDirectory
 *       │             │  ▲                                                        │ retry delay
 *       ▼             ▼  └────────────────────────────────────────────────────────┘
 *     failed        failed (first registration refused)        CLOSE anywhere ──▶ closing ──▶ closed
 *
 * Calls are dispatched by the ServiceHost beside the machine; user code never runs inside an action.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import { handOver, summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import { openListeners } from './host-logic.js';
import { DirectoryClient } from '../lib/directory/directory-client.js';
import type { ServiceHost } from '../lib/service/service-host.js';
import { backoffDelay, type BackoffOptions } from '../lib/session/backoff.js';
import type { DialOptions } from '../lib/session/open-link.js';
import type { TransportRegistry } from '../lib/transports/registry.js';

export interface ServiceInput {
  name: string;
  host: ServiceHost;
  listen: string[];
  /** Where the ServiceDirectory listens; null for a service reached only directly. */
  directory: string | null;
  transports: TransportRegistry;
  dialOptions: DialOptions;
  /** When to register again after the directory link was lost, or the directory could not be reached. */
  backoff: Required<BackoffOptions>;
}

export interface ServiceContext extends ServiceInput {
  endpoints: string[];
  serviceId: number | null;
  registration: DirectoryClient | null;
  /** Once registered, a lost directory is waited for; before that, a refusal is final. */
  registeredOnce: boolean;
  /** Attempts to register again since the directory was lost. */
  attempt: number;
  error: ErrorSummary | null;
}

export type ServiceEvent = { type: 'DIRECTORY.LOST'; error: ErrorSummary } | { type: 'CLOSE' };

export const registerService = fromPromise<
  { registration: DirectoryClient; serviceId: number },
  { context: ServiceContext }
>(async ({ input: { context }, signal }) => {
  const registration = await DirectoryClient.connect(context.transports, context.directory!, { ...context.dialOptions, signal });
  try {
    const serviceId = await registration.register(context.name, context.endpoints);
    return handOver(signal, { registration, serviceId }, () => registration.close());
  } catch (err) {
    registration.close();
    throw err;
  }
});

export const watchRegistration = fromCallback<ServiceEvent, { registration: DirectoryClient | null }>(({ input, sendBack }) =>
  input.registration?.session.onClosed((reason) => sendBack({ type: 'DIRECTORY.LOST', error: summarize(reason) })),
);

/** Unregisters (best effort, the directory also drops it when the link closes) and closes every link. */
export const unregisterAndClose = fromPromise<void, { context: ServiceContext }>(async ({ input: { context } }) => {
  const { registration, serviceId } = context;
  if (registration && serviceId !== null && !registration.session.isClosed) {
    await Promise.race([registration.unregister(serviceId).catch(() => undefined), delay(1_000)]);
  }
  registration?.close();
  await context.host.close();
});

export const serviceMachine = setup({
  types: {
    context: {} as ServiceContext,
    input: {} as ServiceInput,
    events: {} as ServiceEvent,
  },
  actors: { openListeners, registerService, watchRegistration, unregisterAndClose },
  actions: {
    storeEndpoints: assign({ endpoints: (_, endpoints: string[]) => endpoints }),
    storeRegistration: assign((_, params: { registration: DirectoryClient; serviceId: number }) => ({
      ...params,
      registeredOnce: true,
      attempt: 0,
      error: null,
    })),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    forgetRegistration: assign({ registration: null, serviceId: null }),
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    releaseLinks: ({ context }) => {
      context.registration?.close();
      void context.host.close();
    },
  },
  guards: {
    hasDirectory: ({ context }) => context.directory !== null,
    wasRegisteredBefore: ({ context }) => context.registeredOnce,
  },
  delays: {
    retryDelay: ({ context }) => backoffDelay(context.backoff, context.attempt),
  },
}).createMachine({
  id: 'service',
  description: 'Serves one object under one name, registered with the directory.',
  context: ({ input }) => ({ ...input, endpoints: [], serviceId: null, registration: null, registeredOnce: false, attempt: 0, error: null }),
  initial: 'listening',
  on: { CLOSE: '.closing' },
  states: {
    listening: {
      description: 'Opening the listeners; ephemeral ports get resolved here.',
      invoke: {
        src: 'openListeners',
        input: ({ context }) => ({ host: context.host, listen: context.listen }),
        onDone: [
          { guard: 'hasDirectory', target: 'registering', actions: { type: 'storeEndpoints', params: ({ event }) => event.output } },
          { target: 'ready', actions: { type: 'storeEndpoints', params: ({ event }) => event.output } },
        ],
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
    },
    registering: {
      description: 'register(name, endpoints) with the ServiceDirectory; a live duplicate name is refused.',
      invoke: {
        src: 'registerService',
        input: ({ context }) => ({ context }),
        onDone: { target: 'ready', actions: { type: 'storeRegistration', params: ({ event }) => event.output } },
        onError: [
          { guard: 'wasRegisteredBefore', target: 'waitingForDirectory', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
          { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
        ],
      },
    },
    ready: {
      description: 'Serving calls; registered when there is a directory.',
      invoke: {
        src: 'watchRegistration',
        input: ({ context }) => ({ registration: context.registration }),
      },
      on: {
        'DIRECTORY.LOST': {
          description: 'The registration link closed: keep serving, register again after a delay.',
          guard: 'hasDirectory',
          target: 'waitingForDirectory',
          actions: ['forgetRegistration', { type: 'storeError', params: ({ event }) => event.error }],
        },
      },
    },
    waitingForDirectory: {
      description: 'Still serving direct clients; registering again after a backoff delay.',
      entry: 'countAttempt',
      after: { retryDelay: 'registering' },
    },
    closing: {
      description: 'Unregistering, then closing every link and listener.',
      on: { CLOSE: {} },
      invoke: { src: 'unregisterAndClose', input: ({ context }) => ({ context }), onDone: 'closed', onError: 'closed' },
    },
    closed: { type: 'final' },
    failed: { type: 'final', entry: 'releaseLinks' },
  },
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

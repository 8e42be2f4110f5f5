/**
 * Gateway: accepts client links, resolves each bind through the ServiceDirectory, reuses one link per service
 * endpoint, and starts one Forwarder per binding (see ForwarderPool for where forwarders are kept).
 *
 *   connectingDirectory ──▶ listening ──▶ ready ──directory lost──▶ reconnecting.waiting ⇄ reconnecting.connecting
 *          │                   │             ▲                                                   │
 *          ▼                   ▼             └───────────────────────────────────────────────────┘
 *        failed              failed                       CLOSE anywhere ──▶ closing ──▶ closed
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import { summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import type { DirectoryClient } from '../lib/directory/directory-client.js';
import type { GatewayRuntime } from '../lib/gateway/gateway-runtime.js';
import { backoffDelay, type BackoffOptions } from '../lib/session/backoff.js';
import type { ForwarderPool } from './forwarder-pool.js';

export interface GatewayInput {
  runtime: GatewayRuntime;
  forwarders: ForwarderPool;
  listen: string[];
  /** When to try the directory again after its link was lost. */
  backoff: Required<BackoffOptions>;
}

export interface GatewayContext extends GatewayInput {
  endpoints: string[];
  /** Attempts to reach the directory since its link was lost. */
  attempt: number;
  error: ErrorSummary | null;
}

export type GatewayEvent =
  | { type: 'DIRECTORY.LOST'; error: ErrorSummary }
  | { type: 'CLOSE' }
  /** A forwarder actor (created with the gateway as parent) failed. */
  | { type: `xstate.error.actor.${string}`; error: unknown };

export const connectDirectory = fromPromise<DirectoryClient | undefined, { runtime: GatewayRuntime }>(({ input, signal }) =>
  input.runtime.connectDirectory(signal),
);

export const listenForClients = fromPromise<string[], { runtime: GatewayRuntime; listen: string[] }>(({ input }) =>
  input.runtime.links.listen(input.listen),
);

export const watchDirectory = fromCallback<GatewayEvent, { runtime: GatewayRuntime }>(({ input, sendBack }) =>
  input.runtime.onDirectoryLost((reason) => sendBack({ type: 'DIRECTORY.LOST', error: summarize(reason) })),
);

/** Ends every binding, then closes every link. */
export const closeRuntime = fromPromise<void, { runtime: GatewayRuntime; forwarders: ForwarderPool }>(({ input }) => {
  input.forwarders.stopAll();
  return input.runtime.close();
});

export const gatewayMachine = setup({
  types: {
    context: {} as GatewayContext,
    input: {} as GatewayInput,
    events: {} as GatewayEvent,
  },
  actors: { connectDirectory, listenForClients, watchDirectory, closeRuntime },
  actions: {
    storeEndpoints: assign({ endpoints: (_, endpoints: string[]) => endpoints }),
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    clearError: assign({ error: null, attempt: 0 }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    releaseRuntime: ({ context }) => {
      context.forwarders.stopAll();
      void context.runtime.close();
    },
  },
  delays: { retryDelay: ({ context }) => backoffDelay(context.backoff, context.attempt) },
}).createMachine({
  id: 'gateway',
  description: 'Binds clients to services found in the directory and forwards their frames.',
  context: ({ input }) => ({ ...input, endpoints: [], attempt: 0, error: null }),
  initial: 'connectingDirectory',
  on: {
    CLOSE: '.closing',
    // XState puts a parent in error when a child's error goes unhandled: a failed forwarder (a bug) must cost one
    // binding (GatewayRuntime cleans it up), never the gateway.
    'xstate.error.actor.*': { description: 'A forwarder failed; only its binding ends.' },
  },
  states: {
    connectingDirectory: {
      description: 'Opening the link to the ServiceDirectory and binding to it.',
      invoke: {
        src: 'connectDirectory',
        input: ({ context }) => ({ runtime: context.runtime }),
        onDone: 'listening',
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
    },
    listening: {
      description: 'Opening the listeners clients connect to.',
      invoke: {
        src: 'listenForClients',
        input: ({ context }) => ({ runtime: context.runtime, listen: context.listen }),
        onDone: { target: 'ready', actions: { type: 'storeEndpoints', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
    },
    ready: {
      description: 'Accepting links and binds; forwarders relay frames.',
      invoke: { src: 'watchDirectory', input: ({ context }) => ({ runtime: context.runtime }) },
      on: {
        'DIRECTORY.LOST': {
          target: 'reconnecting',
          description: 'The directory link closed: live bindings go on, new binds fail until it is back.',
          actions: { type: 'storeError', params: ({ event }) => event.error },
        },
      },
    },
    reconnecting: {
      description: 'The directory link was lost: live bindings go on, new binds fail until it is back.',
      initial: 'waiting',
      states: {
        waiting: { entry: 'countAttempt', after: { retryDelay: 'connecting' } },
        connecting: {
          invoke: {
            src: 'connectDirectory',
            input: ({ context }) => ({ runtime: context.runtime }),
            onDone: { target: '#gateway.ready', actions: 'clearError' },
            onError: { target: 'waiting', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
          },
        },
      },
    },
    closing: {
      on: { CLOSE: {} },
      invoke: { src: 'closeRuntime', input: ({ context }) => ({ runtime: context.runtime, forwarders: context.forwarders }), onDone: 'closed', onError: 'closed' },
    },
    closed: { type: 'final' },
    failed: { type: 'final', entry: 'releaseRuntime' },
  },
});

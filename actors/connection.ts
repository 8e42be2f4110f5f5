/**
 * Connection: one link from a program to a Gateway (or straight to a Service), carrying any number of Clients.
 *
 *   connecting ──link up──▶ handshaking ──Capability──▶ open ──link lost──▶ lost
 *        │                       │  (timeout / refused)    │
 *        ▼                       ▼                         ▼ CLOSE
 *      failed                  failed                    closed
 *
 * The machine decides the link's lifecycle; frames on it never pass through it (see LinkSession).
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import { handOver, summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import { TimeoutError } from '../lib/protocol/errors.js';
import type { TransportRegistry } from '../lib/transports/registry.js';
import { LinkSession, type SessionOptions } from '../lib/session/link-session.js';

export interface ConnectionInput {
  url: string;
  transports: TransportRegistry;
  handshakeTimeoutMs: number;
  sessionOptions: SessionOptions & { maxBodySize?: number };
}

export interface ConnectionContext extends ConnectionInput {
  session: LinkSession | null;
  error: ErrorSummary | null;
}

export type ConnectionEvent =
  /** A client actor (created with this connection as parent) failed. */
  | { type: `xstate.error.actor.${string}`; error: unknown }
  | { type: 'SESSION.OPEN' }
  | { type: 'SESSION.CLOSED'; error: ErrorSummary }
  | { type: 'CLOSE' };

/** Connects through the transport registered for the URL's scheme and starts the handshake. */
export const openLink = fromPromise<LinkSession, ConnectionInput>(async ({ input, signal }) => {
  const { url, transport } = input.transports.resolve(input.url);
  const { maxBodySize, ...sessionOptions } = input.sessionOptions;
  const link = await transport.connect(url, { signal, ...(maxBodySize === undefined ? {} : { maxBodySize }) });
  // Closed while connecting: the link just made must not leak.
  return handOver(signal, new LinkSession(link, 'initiator', undefined, sessionOptions), (session) => session.close());
});

/** Reports the session's handshake and close to the machine as events. */
export const watchSession = fromCallback<ConnectionEvent, { session: LinkSession }>(({ input, sendBack }) => {
  const stopOpen = input.session.onOpen(() => sendBack({ type: 'SESSION.OPEN' }));
  const stopClosed = input.session.onClosed((reason) => sendBack({ type: 'SESSION.CLOSED', error: summarize(reason) }));
  return () => {
    stopOpen();
    stopClosed();
  };
});

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    input: {} as ConnectionInput,
    events: {} as ConnectionEvent,
  },
  actors: { openLink, watchSession },
  actions: {
    storeSession: assign({ session: (_, session: LinkSession) => session }),
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    closeSession: ({ context }) => context.session?.close(),
    closeSessionForTimeout: ({ context }) =>
      context.session?.close(new TimeoutError(`no handshake from ${context.url} within ${context.handshakeTimeoutMs} ms`)),
  },
  delays: {
    handshakeTimeout: ({ context }) => context.handshakeTimeoutMs,
  },
}).createMachine({
  id: 'connection',
  description: 'One link to a gateway or a service, multiplexing many clients.',
  context: ({ input }) => ({ ...input, session: null, error: null }),
  initial: 'connecting',
  on: {
    // A failed client actor (a bug) must end that client only, never the connection its siblings share.
    'xstate.error.actor.*': { description: 'A client failed; only that client ends.' },
  },
  states: {
    connecting: {
      description: 'Opening the link through the transport for the URL scheme.',
      invoke: {
        src: 'openLink',
        input: ({ context }) => context,
        onDone: { target: 'handshaking', actions: { type: 'storeSession', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
      on: {
        CLOSE: { target: 'closed', description: 'Closed before the link was up: the attempt is aborted.' },
      },
    },
    handshaking: {
      description: 'Capability frames exchanged; nothing else may flow yet.',
      invoke: { src: 'watchSession', input: ({ context }) => ({ session: context.session! }) },
      after: {
        handshakeTimeout: {
          target: 'failed',
          actions: ['closeSessionForTimeout', { type: 'storeError', params: ({ context }) => ({ code: 'Timeout', message: `no handshake from ${context.url} within ${context.handshakeTimeoutMs} ms` }) }],
        },
      },
      on: {
        'SESSION.OPEN': { target: 'open', description: "The peer's Capability arrived: the link is open." },
        'SESSION.CLOSED': { target: 'failed', actions: { type: 'storeError', params: ({ event }) => event.error } },
        CLOSE: { target: 'closed', actions: 'closeSession' },
      },
    },
    open: {
      description: 'Handshake done: clients may bind and call.',
      invoke: { src: 'watchSession', input: ({ context }) => ({ session: context.session! }) },
      on: {
        'SESSION.CLOSED': {
          target: 'lost',
          description: 'The peer went away or broke the protocol; every pending call has failed with ConnectionLost.',
          actions: { type: 'storeError', params: ({ event }) => event.error },
        },
        CLOSE: { target: 'closed', actions: 'closeSession' },
      },
    },
    lost: { type: 'final', description: 'The peer went away or broke the protocol; pending calls failed with ConnectionLost.' },
    failed: { type: 'final', description: 'The link could not be opened or the handshake failed.', entry: 'closeSession' },
    closed: { type: 'final', description: 'Closed by its owner.' },
  },
});

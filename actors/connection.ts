/**
 * Connection: one link from a program to a Gateway (or straight to a Service), carrying any number of Clients.
 *
 *   connecting ──handshake done──▶ open ──link lost──▶ lost
 *        │ (refused / timeout)       │
 *        ▼                           ▼ CLOSE
 *      failed                      closed
 *
 * The machine decides the link's lifecycle; frames on it never pass through it (see Session). The session is
 * made once and outlives the link: a lost link detaches from it, and this machine decides what follows (for now,
 * `lost`, which closes the session and so ends every client).
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import { restoreError, summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import type { TransportRegistry } from '../lib/transports/registry.js';
import { openLink } from '../lib/session/open-link.js';
import type { Session } from '../lib/session/session.js';

export interface ConnectionInput {
  url: string;
  transports: TransportRegistry;
  session: Session;
  maxBodySize: number | undefined;
}

export interface ConnectionContext extends ConnectionInput {
  error: ErrorSummary | null;
}

export type ConnectionEvent =
  /** A client actor (created with this connection as parent) failed. */
  | { type: `xstate.error.actor.${string}`; error: unknown }
  | { type: 'SESSION.DETACHED'; error: ErrorSummary }
  | { type: 'CLOSE' };

/** Connects, attaches the link to the session and completes the handshake (lib/session/open-link.ts). */
export const connectLink = fromPromise<void, ConnectionInput>(({ input, signal }) =>
  openLink(input.session, input.transports, input.url, { signal, maxBodySize: input.maxBodySize }),
);

/** Reports the session losing its link to the machine. */
export const watchLink = fromCallback<ConnectionEvent, { session: Session }>(({ input, sendBack }) =>
  input.session.onDetached((reason) => sendBack({ type: 'SESSION.DETACHED', error: summarize(reason) })),
);

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    input: {} as ConnectionInput,
    events: {} as ConnectionEvent,
  },
  actors: { connectLink, watchLink },
  actions: {
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    /** Ends the session: clients still bound end with the error that ended the link, or ClosedError. */
    closeSession: ({ context }) => context.session.close(context.error ? restoreError(context.error) : undefined),
  },
}).createMachine({
  id: 'connection',
  description: 'One link to a gateway or a service, multiplexing many clients.',
  context: ({ input }) => ({ ...input, error: null }),
  initial: 'connecting',
  on: {
    // A failed client actor (a bug) must end that client only, never the connection its siblings share.
    'xstate.error.actor.*': { description: 'A client failed; only that client ends.' },
  },
  states: {
    connecting: {
      description: 'Opening the link through the transport for the URL scheme, then the Capability handshake.',
      invoke: {
        src: 'connectLink',
        input: ({ context }) => context,
        onDone: { target: 'open' },
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
      on: {
        CLOSE: { target: 'closed', description: 'Closed before the link was up: the attempt is aborted.' },
      },
    },
    open: {
      description: 'Handshake done: clients may bind and call.',
      invoke: { src: 'watchLink', input: ({ context }) => ({ session: context.session }) },
      on: {
        'SESSION.DETACHED': {
          target: 'lost',
          description: 'The peer went away or broke the protocol; every pending call has failed with ConnectionLost.',
          actions: { type: 'storeError', params: ({ event }) => event.error },
        },
        CLOSE: { target: 'closed' },
      },
    },
    lost: { type: 'final', entry: 'closeSession', description: 'The peer went away or broke the protocol; pending calls failed with ConnectionLost.' },
    failed: { type: 'final', entry: 'closeSession', description: 'The link could not be opened or the handshake failed.' },
    closed: { type: 'final', entry: 'closeSession', description: 'Closed by its owner.' },
  },
});

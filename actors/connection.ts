/**
 * Connection: one link from a program to a Gateway (or straight to a Service), carrying any number of Clients.
 *
 *   connecting ──handshake done──▶ open ──link lost──▶ reconnecting (waiting ⇄ dialing) ──link back──▶ open
 *        │ refused / timeout        │                       │ attempts used up
 *        ▼ (or, with retry,         ▼ CLOSE                 ▼
 *      failed  reconnecting)      closed                  lost           (CLOSE anywhere ──▶ closed)
 *
 * The machine decides the link's lifecycle; frames on it never pass through it (see Session). The session is
 * made once and outlives every link: a lost link detaches from it (calls in flight fail with ConnectionLost,
 * clients are suspended), a new link is attached after a backoff delay, and the clients bind again by themselves.
 * Each final state closes the session, which ends every client still bound.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import { restoreError, summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import type { TransportRegistry } from '../lib/transports/registry.js';
import { backoffDelay, type BackoffOptions } from '../lib/session/backoff.js';
import { openLink } from '../lib/session/open-link.js';
import type { Session } from '../lib/session/session.js';

export interface ConnectionInput {
  url: string;
  transports: TransportRegistry;
  session: Session;
  maxBodySize: number | undefined;
  /** How to reconnect after a lost link (null: a lost link is final). */
  reconnect: Required<BackoffOptions> | null;
  /** Keep trying when the first connect fails, with the same backoff. */
  retryFirstConnect: boolean;
}

export interface ConnectionContext extends ConnectionInput {
  /** Reconnection attempts since the link was last up. */
  attempt: number;
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

const failing = { actions: { type: 'storeError', params: ({ event }: { event: { error: unknown } }) => summarize(event.error) } } as const;

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    input: {} as ConnectionInput,
    events: {} as ConnectionEvent,
  },
  actors: { connectLink, watchLink },
  actions: {
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    linkIsUp: assign({ attempt: 0, error: null }),
    forgetError: assign({ error: null }),
    /** Ends the session: clients still bound end with the error that ended the link, or ClosedError. */
    closeSession: ({ context }) => context.session.close(context.error ? restoreError(context.error) : undefined),
  },
  guards: {
    reconnects: ({ context }) => context.reconnect !== null,
    retriesFirstConnect: ({ context }) => context.reconnect !== null && context.retryFirstConnect,
    attemptsUsedUp: ({ context }) => context.reconnect === null || context.attempt > context.reconnect.maxAttempts,
  },
  delays: {
    backoff: ({ context }) => (context.reconnect ? backoffDelay(context.reconnect, context.attempt) : 0),
  },
}).createMachine({
  id: 'connection',
  description: 'One link to a gateway or a service, multiplexing many clients; reconnects when the link is lost.',
  context: ({ input }) => ({ ...input, attempt: 0, error: null }),
  initial: 'connecting',
  on: {
    // A failed client actor (a bug) must end that client only, never the connection its siblings share.
    'xstate.error.actor.*': { description: 'A client failed; only that client ends.' },
    // The owner's close is why clients end now, not the link lost before it.
    CLOSE: { target: '.closed', actions: 'forgetError', description: 'Closed by its owner; an attempt under way is aborted.' },
  },
  states: {
    connecting: {
      description: 'Opening the link through the transport for the URL scheme, then the Capability handshake.',
      invoke: {
        src: 'connectLink',
        input: ({ context }) => context,
        onDone: { target: 'open', actions: 'linkIsUp' },
        onError: [
          { guard: 'retriesFirstConnect', target: 'reconnecting', ...failing },
          { target: 'failed', ...failing },
        ],
      },
    },
    open: {
      description: 'Handshake done: clients may bind and call.',
      invoke: { src: 'watchLink', input: ({ context }) => ({ session: context.session }) },
      on: {
        'SESSION.DETACHED': [
          {
            guard: 'reconnects',
            target: 'reconnecting',
            description: 'The link was lost: calls in flight failed with ConnectionLost, clients are suspended.',
            actions: { type: 'storeError', params: ({ event }) => event.error },
          },
          { target: 'lost', actions: { type: 'storeError', params: ({ event }) => event.error } },
        ],
      },
    },
    reconnecting: {
      description: 'Trying again after a backoff delay; new calls wait (up to their timeout).',
      initial: 'waiting',
      states: {
        waiting: {
          always: { guard: 'attemptsUsedUp', target: '#connection.lost', description: 'maxAttempts dials failed: give up.' },
          entry: 'countAttempt',
          after: { backoff: 'dialing' },
        },
        dialing: {
          invoke: {
            src: 'connectLink',
            input: ({ context }) => context,
            onDone: { target: '#connection.open', actions: 'linkIsUp', description: 'Back: every client binds again by itself.' },
            onError: { target: 'waiting', ...failing },
          },
        },
      },
    },
    lost: { type: 'final', entry: 'closeSession', description: 'The link was lost and not regained; clients ended with ConnectionLost.' },
    failed: { type: 'final', entry: 'closeSession', description: 'The link could not be opened or the handshake failed.' },
    closed: { type: 'final', entry: 'closeSession', description: 'Closed by its owner.' },
  },
});

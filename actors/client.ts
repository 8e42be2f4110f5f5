/**
 * Client: one binding to one named service over a Connection's link.
 *
 *   binding ──bind reply──▶ bound ⇄ suspended ──far side ended it / rebind refused──▶ ended
 *      │                      │  (link lost / bound again)
 *      ▼ refused              ▼ CLOSE (unbinds)
 *    failed                 closed
 *
 * While `bound`, calls go straight through the ClientChannel (the installed direct path), never through here.
 * While `suspended` (the Connection is reconnecting), calls wait in the channel; it binds again by itself.
 */
import { assign, fromPromise, setup, type AnyActorRef } from 'xstate';
import { summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import type { ChannelOwner, ClientChannel } from '../lib/client/client-channel.js';
import type { QiError } from '../lib/protocol/errors.js';

export interface ClientInput {
  channel: ClientChannel;
}

/** The meta-object is the channel's (`context.channel.metaObject`): one owner for it. */
export interface ClientContext extends ClientInput {
  error: ErrorSummary | null;
}

export type ClientEvent =
  | { type: 'BINDING.SUSPENDED'; error: ErrorSummary }
  | { type: 'BINDING.REBOUND' }
  | { type: 'BINDING.ENDED'; error: ErrorSummary }
  | { type: 'CLOSE' };

export const bindChannel = fromPromise<void, { channel: ClientChannel }>(async ({ input }) => {
  await input.channel.bind();
});

/**
 * What the channel tells this actor, as events: one small object per client rather than an invoked watcher
 * actor (its cost: ARCHITECTURE.md, "The machines", Forwarder).
 */
class ChannelWatch implements ChannelOwner {
  constructor(private readonly actor: AnyActorRef) {}
  suspended(error: QiError): void {
    this.actor.send({ type: 'BINDING.SUSPENDED', error: summarize(error) });
  }
  rebound(): void {
    this.actor.send({ type: 'BINDING.REBOUND' });
  }
  ended(error: QiError): void {
    this.actor.send({ type: 'BINDING.ENDED', error: summarize(error) });
  }
}

const closing = { target: 'closed', actions: ['unwatchBinding', 'unbind'] } as const;
const ending = {
  target: 'ended',
  description: 'The far side ended the binding (ServiceGone), the link was lost for good, or the rebind was refused.',
  actions: { type: 'storeError', params: ({ event }: { event: { error: ErrorSummary } }) => event.error },
} as const;

export const clientMachine = setup({
  types: {
    context: {} as ClientContext,
    input: {} as ClientInput,
    events: {} as ClientEvent,
  },
  actors: { bindChannel },
  actions: {
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    clearError: assign({ error: null }),
    unbind: ({ context }) => void context.channel.unbind(),
    // Set once bound, cleared before `unbind` (whose end this actor need not hear).
    watchBinding: ({ context, self }) => context.channel.setOwner(new ChannelWatch(self)),
    unwatchBinding: ({ context }) => context.channel.setOwner(undefined),
  },
}).createMachine({
  id: 'client',
  description: 'A binding to one service, by name, for its whole life.',
  context: ({ input }) => ({ ...input, error: null }),
  initial: 'binding',
  states: {
    binding: {
      description: 'bind(name) sent on the control channel; waiting for the channel number and meta-object.',
      invoke: {
        src: 'bindChannel',
        input: ({ context }) => ({ channel: context.channel }),
        onDone: { target: 'bound', actions: 'watchBinding' },
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
      on: { CLOSE: { target: 'closed', actions: 'unbind' } },
    },
    bound: {
      description: 'Calls flow on the channel directly.',
      on: {
        'BINDING.SUSPENDED': {
          target: 'suspended',
          description: 'The link was lost; the Connection reconnects.',
          actions: { type: 'storeError', params: ({ event }) => event.error },
        },
        'BINDING.ENDED': ending,
        CLOSE: closing,
      },
    },
    suspended: {
      description: 'Waiting for the Connection to reconnect; calls made now wait (up to their timeout).',
      on: {
        'BINDING.REBOUND': { target: 'bound', description: 'Bound again on the new link, subscriptions replayed.', actions: 'clearError' },
        'BINDING.ENDED': ending,
        CLOSE: closing,
      },
    },
    ended: { type: 'final', description: 'The service went away or the link was lost; calls fail with that error.' },
    failed: { type: 'final', description: 'The bind was refused (e.g. ServiceNotFound).' },
    closed: { type: 'final', description: 'Unbound by its owner.' },
  },
});

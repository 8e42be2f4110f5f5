/**
 * Client: one binding to one named service over a Connection's link.
 *
 *   binding ──bind reply──▶ bound ──far side ended it / link lost──▶ ended
 *      │                      │
 *      ▼ refused              ▼ CLOSE (unbinds)
 *    failed                 closed
 *
 * While `bound`, calls go straight through the ClientChannel (the installed direct path), never through here.
 */
import { assign, fromPromise, setup } from 'xstate';
import { summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import type { ClientChannel } from '../lib/client/client-channel.js';

export interface ClientInput {
  channel: ClientChannel;
}

/** The meta-object is the channel's (`context.channel.metaObject`): one owner for it. */
export interface ClientContext extends ClientInput {
  error: ErrorSummary | null;
}

export type ClientEvent = { type: 'BINDING.ENDED'; error: ErrorSummary } | { type: 'CLOSE' };

export const bindChannel = fromPromise<void, { channel: ClientChannel }>(async ({ input }) => {
  await input.channel.bind();
});

export const clientMachine = setup({
  types: {
    context: {} as ClientContext,
    input: {} as ClientInput,
    events: {} as ClientEvent,
  },
  actors: { bindChannel },
  actions: {
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    unbind: ({ context }) => void context.channel.unbind(),
    // The channel reports the end of the binding straight to this actor: a slot, not an invoked watcher actor
    // (its cost: ARCHITECTURE.md, "The machines", Forwarder). Cleared on exit, before `unbind`.
    watchBinding: ({ context, self }) => context.channel.setOwner((error) => self.send({ type: 'BINDING.ENDED', error: summarize(error) })),
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
        onDone: { target: 'bound' },
        onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
      },
      on: { CLOSE: { target: 'closed', actions: 'unbind' } },
    },
    bound: {
      description: 'Calls flow on the channel directly.',
      entry: 'watchBinding',
      exit: 'unwatchBinding',
      on: {
        'BINDING.ENDED': {
          target: 'ended',
          description: 'The far side ended the binding (ServiceGone) or the link was lost.',
          actions: { type: 'storeError', params: ({ event }) => event.error },
        },
        CLOSE: { target: 'closed', actions: 'unbind' },
      },
    },
    ended: { type: 'final', description: 'The service went away or the link was lost; calls fail with that error.' },
    failed: { type: 'final', description: 'The bind was refused (e.g. ServiceNotFound).' },
    closed: { type: 'final', description: 'Unbound by its owner.' },
  },
});

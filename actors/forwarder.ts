/**
 * Forwarder: one client-to-service binding inside the Gateway, spawned per bind.
 *
 *   resolving ──lookup──▶ connecting ──service link──▶ binding ──bind reply──▶ active ──▶ closed
 *       └───────────────────────┴──────────────────────────┴──▶ failed              (unbind, client lost,
 *                                                                                    service gone, gateway stop)
 *
 * In `active` it has installed a ForwardingRoute: frames flow by header rewrite, never as events. Its counters
 * are readable in the snapshot (`context.route`). The client's bind is answered by this machine: with the route's
 * channel on entering `active`, with the error on ending before it.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';
import { handOver, restoreError, summarize, type ErrorSummary } from '../lib/actor-runtime.js';
import { ForwardingRoute, type RouteEnd } from '../lib/gateway/forwarding-route.js';
import { readBindReply } from '../lib/protocol/bind-reply.js';
import type { ForwarderGateway } from '../lib/gateway/gateway-runtime.js';
import type { Identity } from '../lib/auth/authenticator.js';
import { ControlAction, type BindReply, type BindRequest, type MetaObject } from '../lib/protocol/control.js';
import { ServiceGoneError, type QiError } from '../lib/protocol/errors.js';
import type { Session } from '../lib/session/session.js';
import { sharedMetaObject } from '../lib/session/shared-meta-objects.js';
import { DIRECTORY_NAME } from '../lib/directory/directory-client.js';

/**
 * The directory's members a gateway's clients may not call: a registration made through the gateway would belong
 * to the gateway's own directory link and outlive its author, and let a client point others at any host.
 */
function directoryWrites(metaObject: MetaObject): ReadonlySet<number> {
  return new Set(metaObject.methods.filter((m) => m.name === 'register' || m.name === 'unregister').map((m) => m.id));
}

/**
 * Where forwarders answer their clients' binds, once each, by bind number: one object per gateway (XState keeps an
 * actor's input for its whole life, so a per-binding answer in it would keep the bind's promise alive).
 */
export interface BindAnswers {
  bound(bind: number, reply: BindReply): void;
  refused(bind: number, error: QiError): void;
}

export interface ForwarderInput {
  name: string;
  client: Session;
  gateway: ForwarderGateway;
  answers: BindAnswers;
  /** This binding's number in `answers`. */
  bind: number;
  /** Who the client is (its identity at this gateway), passed on to the service. */
  caller: Identity | undefined;
}

export interface ForwarderContext extends ForwarderInput {
  endpoints: string[];
  service: Session | null;
  metaObject: MetaObject | null;
  route: ForwardingRoute | null;
  error: ErrorSummary | null;
}

export type ForwarderEvent =
  | { type: 'CLIENT.ENDED'; error: ErrorSummary }
  | { type: 'SERVICE.GONE'; error: ErrorSummary }
  | { type: 'STOP' };

export const lookupService = fromPromise<string[], { gateway: ForwarderGateway; name: string }>(async ({ input }) => {
  const record = await input.gateway.directory().lookup(input.name);
  return record.endpoints;
});

export const openServiceLink = fromPromise<Session, { gateway: ForwarderGateway; endpoints: string[] }>(({ input }) =>
  input.gateway.serviceSession(input.endpoints),
);

export const bindUpstream = fromPromise<BindReply, { service: Session; name: string; caller: Identity | undefined }>(async ({ input, signal }) => {
  // The client's identity goes with the bind; a service that trusts this gateway (the `gateway` role) reads it.
  const request: BindRequest = { name: input.name, onBehalfOf: input.caller ?? null };
  // The service may be anyone's: its reply is read like any stranger's bytes.
  const reply = readBindReply(await input.service.controlCall(ControlAction.bind, request));
  // Abandoned while the service answered: release the channel it opened for us.
  return handOver(signal, reply, ({ channel }) => {
    input.service.controlCall(ControlAction.unbind, { channel }).catch(() => undefined);
  });
});

/** Reports the client link closing while the binding is still being made. */
export const watchClient = fromCallback<ForwarderEvent, { client: Session }>(({ input, sendBack }) =>
  input.client.onClosed((reason) => sendBack({ type: 'CLIENT.ENDED', error: summarize(reason) })),
);

/** How a route's end reaches its forwarder, as an event. */
function routeEndEvent(end: RouteEnd): ForwarderEvent {
  return { type: end.type, error: summarize(end.error) };
}

/**
 * Watches the client link while the binding is being made; once active, the route reports a lost client itself.
 * Watchers are invoked only where needed (an invoked actor's cost: ARCHITECTURE.md, "The machines", Forwarder).
 */
const watchingClient = { src: 'watchClient', input: ({ context }: { context: ForwarderContext }) => ({ client: context.client }) } as const;

export const forwarderMachine = setup({
  types: {
    context: {} as ForwarderContext,
    input: {} as ForwarderInput,
    events: {} as ForwarderEvent,
  },
  actors: { lookupService, openServiceLink, bindUpstream, watchClient },
  actions: {
    storeEndpoints: assign({ endpoints: (_, endpoints: string[]) => endpoints }),
    storeService: assign({ service: (_, service: Session) => service }),
    storeBinding: assign(({ context }, reply: BindReply) => ({
      // One copy per service link, not one per forwarder (see shared-meta-objects.ts).
      metaObject: sharedMetaObject(context.service!, context.name, reply.metaObject),
      route: new ForwardingRoute(
        context.client,
        context.service!,
        reply.channel,
        context.gateway.fanout(context.service!, context.name),
        context.name === DIRECTORY_NAME ? directoryWrites(reply.metaObject) : undefined,
        context.gateway.monitor,
        context.name,
        sharedMetaObject(context.service!, context.name, reply.metaObject),
      ),
    })),
    storeError: assign({ error: (_, error: ErrorSummary) => error }),
    // The route reports its end straight to this actor (no invoked watcher: see `watchingClient`).
    installRoute: ({ context, self }) => {
      context.route!.onEnd((end) => self.send(routeEndEvent(end)));
      context.route!.install();
    },
    answerBound: ({ context }) => context.answers.bound(context.bind, { channel: context.route!.clientChannel, metaObject: context.metaObject! }),
    // After `answerBound`, a no-op (a bind is answered once): a binding that ended after it was made.
    answerRefused: ({ context }) => context.answers.refused(context.bind, restoreError(context.error, 'binding ended before it was made')),
    removeRoute: ({ context }) => {
      context.route!.onEnd(undefined);
      context.route!.remove();
    },
    releaseUpstream: ({ context }, channel: number) => {
      context.service?.controlCall(ControlAction.unbind, { channel }).catch(() => undefined);
    },
    unbindUpstream: ({ context }) => {
      const { service, route } = context;
      if (service && route && !service.isClosed) {
        service.controlCall(ControlAction.unbind, { channel: route.serviceChannel }).catch(() => undefined);
      }
    },
    notifyClientServiceGone: ({ context }, error: ErrorSummary) => {
      const { client, route, name, service } = context;
      if (route && !client.isClosed) {
        // A service closed on purpose said so before its link went (a ClosingNotice): not a crash.
        const message = service?.closedByPeer !== undefined ? `service '${name}' closed` : `service '${name}' lost: ${error.message}`;
        client.endChannel(route.clientChannel, new ServiceGoneError(message));
      }
    },
  },
  guards: {
    clientHasRoom: ({ context }) => context.client.hasRoomForChannel,
  },
}).createMachine({
  id: 'forwarder',
  description: 'One client-to-service binding: resolves the service, binds upstream, then relays frames both ways.',
  context: ({ input }) => ({ ...input, endpoints: [], service: null, metaObject: null, route: null, error: null }),
  initial: 'resolving',
  on: {
    'CLIENT.ENDED': { target: '.closed', actions: { type: 'storeError', params: ({ event }) => event.error } },
    STOP: '.closed',
  },
  states: {
    resolving: {
      description: 'Asking the ServiceDirectory where the service lives.',
      invoke: [
        watchingClient,
        {
          src: 'lookupService',
          input: ({ context }) => ({ gateway: context.gateway, name: context.name }),
          onDone: { target: 'connecting', actions: { type: 'storeEndpoints', params: ({ event }) => event.output } },
          onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
        },
      ],
    },
    connecting: {
      description: 'Reusing or opening the gateway-to-service link for one of its endpoints.',
      invoke: [
        watchingClient,
        {
          src: 'openServiceLink',
          input: ({ context }) => ({ gateway: context.gateway, endpoints: context.endpoints }),
          onDone: { target: 'binding', actions: { type: 'storeService', params: ({ event }) => event.output } },
          onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
        },
      ],
    },
    binding: {
      description: 'bind(name) on the service link; the reply gives the upstream channel and the meta-object.',
      invoke: [
        watchingClient,
        {
          src: 'bindUpstream',
          input: ({ context }) => ({ service: context.service!, name: context.name, caller: context.caller }),
          onDone: [
            { guard: 'clientHasRoom', target: 'active', actions: { type: 'storeBinding', params: ({ event }) => event.output } },
            {
              description: 'The client link is at its channel limit: refuse, and release the upstream channel.',
              target: 'failed',
              actions: [
                { type: 'releaseUpstream', params: ({ event }) => event.output.channel },
                { type: 'storeError', params: ({ context }) => ({ code: 'LimitExceeded', message: `link ${context.client.id} has no room for another channel` }) },
              ],
            },
          ],
          onError: { target: 'failed', actions: { type: 'storeError', params: ({ event }) => summarize(event.error) } },
        },
      ],
    },
    active: {
      description: 'Route installed: frames are forwarded by rewriting the channel field, bodies untouched.',
      entry: ['installRoute', 'answerBound'],
      exit: 'removeRoute',
      on: {
        'CLIENT.ENDED': {
          target: 'closed',
          description: 'The client unbound, or its link closed: release the service channel.',
          actions: ['unbindUpstream', { type: 'storeError', params: ({ event }) => event.error }],
        },
        'SERVICE.GONE': {
          target: 'closed',
          description: "The service's link closed or it ended the binding: tell the client (ServiceGone).",
          actions: [
            { type: 'notifyClientServiceGone', params: ({ event }) => event.error },
            { type: 'storeError', params: ({ event }) => event.error },
          ],
        },
        STOP: { target: 'closed', actions: 'unbindUpstream', description: 'The gateway is closing.' },
      },
    },
    closed: { type: 'final', entry: 'answerRefused' },
    failed: { type: 'final', entry: 'answerRefused' },
  },
});

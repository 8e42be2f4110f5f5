/**
 * The forwarding entry of one binding: (client link, its channel) ⇄ (service link, its channel). A frame is
 * forwarded by rewriting its channel field in place and handing the same buffer to the other link; its body is
 * never decoded. Both ends relay every frame, answers included: the calls they carry are the client's, not the
 * gateway's.
 *
 * Backpressure falls on the client, the only source of work: while the service link is congested, the client link
 * that sends it calls is paused; while the client's own link is congested (it does not read its replies), that
 * client link is paused too, and the service link, which every client of the service shares, keeps being read.
 * What a client that does not read still costs is bounded twice: its link closes itself with LimitExceeded past
 * `maxBufferedBytes` (LinkHost), and a binding may have at most `maxCallsInFlightPerBinding` calls forwarded and
 * not yet answered (counted here: Calls up less Reply/Error/Canceled down); a further call is answered
 * LimitExceeded by the gateway, without reaching the service.
 *
 * Progress frames (a call's reports to its own caller) are relayed down like replies, and count against the client
 * link like them; they answer nothing, so `callsInFlight` ignores them. A Call flagged WANTS_PROGRESS goes up with
 * its flag only to a service that announced `features.progress`. A Reply's OBJECT_RESULT flag is cleared: only a
 * bridged binding's own replies carry it (docs/PROTOCOL.md §5, Objects).
 *
 * The route only moves frames and reports what happened at either end; the Forwarder actor decides what follows.
 */
import { decodeMessageBody, encodeBody } from '../protocol/codec.js';
import { MAIN_OBJECT, ObjectAction } from '../protocol/control.js';
import { BadArgumentsError, LimitExceededError, toQiError, UnauthorizedError, type QiError } from '../protocol/errors.js';
import { buildFrame, frameAction, frameFlags, frameId, frameObject, frameType, MessageType, setFrameChannel, setFrameFlags } from '../protocol/header.js';
import { throttle } from '../session/backpressure.js';
import type { ChannelEndpoint, Session } from '../session/session.js';
import type { MetaObject } from '../protocol/control.js';
import type { TracedRoute, TraceSwitch } from './call-tracer.js';
import type { FanoutSubscriber, SignalFanout } from './signal-fanout.js';

/** The switch of a route nobody can trace (one built outside a gateway). */
const NEVER_TRACED: TraceSwitch = { tracer: null };

export type RouteEnd =
  /** The client unbound its channel, or its link closed. */
  | { type: 'CLIENT.ENDED'; error: QiError }
  /** The service's link closed or the service ended the binding. */
  | { type: 'SERVICE.GONE'; error: QiError };

/*
 * The route's two channel endpoints, small objects rather than closures: a gateway holds two per binding, and a
 * closure costs more than a field.
 */
class ClientEnd implements ChannelEndpoint {
  readonly relays = true;
  constructor(private readonly route: ForwardingRoute) {}
  onFrame(frame: Uint8Array): void {
    this.route.forwardUp(frame);
  }
  onClosed(error: QiError): void {
    this.route.ended({ type: 'CLIENT.ENDED', error });
  }
}

class ServiceEnd implements ChannelEndpoint {
  readonly relays = true;
  constructor(private readonly route: ForwardingRoute) {}
  onFrame(frame: Uint8Array): void {
    this.route.forwardDown(frame);
  }
  onClosed(error: QiError): void {
    this.route.ended({ type: 'SERVICE.GONE', error });
  }
}

export class ForwardingRoute implements FanoutSubscriber, TracedRoute {
  framesUp = 0;
  framesDown = 0;
  /** Calls forwarded to the service and not yet answered (bounded by the client session's limit). */
  callsInFlight = 0;
  /** Calls answered LimitExceeded here because `callsInFlight` was at its bound. */
  refusedCalls = 0;
  /** Channel on the client link; assigned by `install`. */
  private down = 0;
  private listener: ((end: RouteEnd) => void) | undefined;
  private readonly downstream = new ClientEnd(this);
  private readonly upstream = new ServiceEnd(this);

  constructor(
    readonly client: Session,
    readonly service: Session,
    /** Channel on the service link, from the service's bind reply. */
    private readonly up: number,
    /** Where this route's signal subscriptions go: shared by every route to the same service on that link. */
    private readonly fanout: SignalFanout,
    /** Member ids the client may not call through this gateway (the directory's register and unregister). */
    private readonly forbidden?: ReadonlySet<number>,
    /** The gateway monitor's switch: its tracer, null unless someone traces, sees each call and answer. */
    private readonly monitor: TraceSwitch = NEVER_TRACED,
    /** The service's name and meta-object, for the tracer's events. */
    readonly serviceName = '',
    readonly metaObject?: MetaObject,
  ) {}

  /** The channel the client knows this binding by (0 until installed). */
  get clientChannel(): number {
    return this.down;
  }

  /** The channel the service knows this binding by. */
  get serviceChannel(): number {
    return this.up;
  }

  /** Sets the one listener told how the route ends (the Forwarder actor). */
  onEnd(listener: ((end: RouteEnd) => void) | undefined): void {
    this.listener = listener;
  }

  /** Opens the client-side channel and starts forwarding both ways. */
  install(): number {
    this.down = this.client.openChannel(this.downstream);
    this.service.attachChannel(this.up, this.upstream);
    return this.down;
  }

  /** True while either end still routes to this route. */
  get isInstalled(): boolean {
    return this.client.channelEndpoint(this.down) === this.downstream || this.service.channelEndpoint(this.up) === this.upstream;
  }

  /** Stops forwarding; frames arriving afterwards on either channel are strays. */
  remove(): void {
    this.fanout.dropSubscriber(this);
    if (this.client.channelEndpoint(this.down) === this.downstream) this.client.detachChannel(this.down);
    if (this.service.channelEndpoint(this.up) === this.upstream) this.service.detachChannel(this.up);
  }

  /** An Event from the fan-out for this route's client: a frame of its own, channel rewritten here. */
  deliverEvent(frame: Uint8Array): void {
    setFrameChannel(frame, this.down);
    this.framesDown++;
    this.client.sendFrame(frame);
  }

  toJSON(): object {
    return {
      down: this.down,
      up: this.up,
      client: this.client.id,
      service: this.service.id,
      framesUp: this.framesUp,
      framesDown: this.framesDown,
      callsInFlight: this.callsInFlight,
      refusedCalls: this.refusedCalls,
    };
  }

  /** @internal From the client's channel. */
  forwardUp(frame: Uint8Array): void {
    if (this.forbidden !== undefined && this.forbids(frame)) return;
    const type = frameType(frame);
    if (type === MessageType.Call) {
      if (frameAction(frame) <= ObjectAction.unregisterEvent && frameObject(frame) === MAIN_OBJECT) {
        this.subscription(frame);
        return;
      }
      if (this.callsInFlight >= this.client.maxCallsInFlightPerBinding) {
        this.refuse(frame);
        return;
      }
      this.callsInFlight++;
      // A call asking for progress, to a service that does not announce it: not asked (it would refuse the flag).
      if (frameFlags(frame) !== 0 && !this.service.peerSendsProgress) setFrameFlags(frame, 0);
    }
    const tracer = this.monitor.tracer;
    if (tracer !== null) {
      if (type === MessageType.Call) tracer.called(this, frame);
      else if (type === MessageType.Post) tracer.posted(this, frame);
    }
    setFrameChannel(frame, this.up);
    this.framesUp++;
    this.service.sendFrame(frame);
    throttle(this.service, this.client);
  }

  /** @internal From the service's channel. */
  forwardDown(frame: Uint8Array): void {
    const type = frameType(frame);
    // Each call is answered once: a Reply, an Error, or Canceled (a Cancel of a call already answered gets nothing).
    if (type === MessageType.Reply || type === MessageType.Error || type === MessageType.Canceled) {
      if (this.callsInFlight > 0) this.callsInFlight--;
      // OBJECT_RESULT is a bridged binding's, made by this gateway: a service's own would name a channel of the
      // client's link it knows nothing of, so it never reaches the client.
      if (type === MessageType.Reply && frameFlags(frame) !== 0) setFrameFlags(frame, 0);
    }
    const tracer = this.monitor.tracer;
    // Before the channel is rewritten: the tracer reads the id and type only, and decodes an Error's body.
    if (tracer !== null && type !== MessageType.Event) tracer.answered(this, frame);
    setFrameChannel(frame, this.down);
    this.framesDown++;
    this.client.sendFrame(frame);
    // A client that does not read its replies: stop reading its calls (never the service link, which others share).
    throttle(this.client, this.client);
  }

  /** @internal Either end closed. */
  ended(end: RouteEnd): void {
    this.listener?.(end);
  }

  /** A call of a forbidden member is answered Unauthorized here (a post is dropped), never forwarded. */
  private forbids(frame: Uint8Array): boolean {
    const type = frameType(frame);
    if ((type !== MessageType.Call && type !== MessageType.Post) || !this.forbidden!.has(frameAction(frame))) return false;
    if (type === MessageType.Call) {
      const error = new UnauthorizedError('clients of a gateway may not register or unregister services');
      this.client.replyError(this.down, frameId(frame), frameObject(frame), frameAction(frame), error);
    }
    return true;
  }

  /**
   * A call beyond the binding's bound of calls in flight: answered here, so it costs the service nothing, with a
   * body encoded once (a client flooding calls past the bound must cost the gateway less than forwarding them).
   */
  private refuse(frame: Uint8Array): void {
    this.refusedCalls++;
    const body = refusalBody(this.client.maxCallsInFlightPerBinding);
    this.client.sendFrame(buildFrame(MessageType.Error, this.down, frameId(frame), frameObject(frame), frameAction(frame), body));
  }

  /** registerEvent / unregisterEvent from the client: answered here, through the fan-out. */
  private subscription(frame: Uint8Array): void {
    const id = frameId(frame);
    const action = frameAction(frame);
    let memberId: unknown;
    try {
      memberId = (decodeMessageBody(frame) as unknown[] | undefined)?.[0];
    } catch (err) {
      this.client.replyError(this.down, id, MAIN_OBJECT, action, toQiError(err));
      return;
    }
    if (typeof memberId !== 'number') {
      this.client.replyError(this.down, id, MAIN_OBJECT, action, new BadArgumentsError('expected [memberId]'));
      return;
    }
    const done = action === ObjectAction.registerEvent ? this.fanout.subscribe(this, memberId) : this.fanout.unsubscribe(this, memberId);
    done.then(
      () => this.isInstalled && this.client.reply(this.down, id, MAIN_OBJECT, action, undefined),
      (err: unknown) => this.isInstalled && this.client.replyError(this.down, id, MAIN_OBJECT, action, toQiError(err)),
    );
  }
}

let refusal: { limit: number; body: Uint8Array } | undefined;

/** The Error body answering a call past `limit` calls in flight, encoded once per limit. */
function refusalBody(limit: number): Uint8Array {
  if (refusal?.limit !== limit) {
    refusal = { limit, body: encodeBody(new LimitExceededError(`too many calls in flight on this binding (limit ${limit})`).toBody()) };
  }
  return refusal.body;
}

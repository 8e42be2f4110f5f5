/**
 * The forwarding entry of one binding: (client link, channel `down`) ⇄ (service link, channel `up`). A frame is
 * forwarded by rewriting its channel field in place and handing the same buffer to the other link; its body is
 * never decoded. Backpressure: when the link written to is congested, the link read from is paused until it drains.
 *
 * The route only moves frames and reports what happened at either end; the Forwarder actor decides what follows.
 */
import { decodeMessageBody } from '../protocol/codec.js';
import { MAIN_OBJECT, ObjectAction } from '../protocol/control.js';
import { BadArgumentsError, toQiError, type QiError } from '../protocol/errors.js';
import { frameAction, frameId, frameObject, frameType, MessageType, setFrameChannel } from '../protocol/header.js';
import type { ChannelEndpoint, LinkSession } from '../session/link-session.js';
import type { SignalFanout } from './signal-fanout.js';

export type RouteEnd =
  /** The client unbound its channel. */
  | { type: 'CLIENT.UNBOUND' }
  /** The client's link closed. */
  | { type: 'CLIENT.LOST'; error: QiError }
  /** The service's link closed or the service ended the binding. */
  | { type: 'SERVICE.GONE'; error: QiError };

/** The client-side end; the gateway's unbind handler recognises it with `instanceof`. */
export class DownstreamEnd implements ChannelEndpoint {
  constructor(readonly route: ForwardingRoute) {}
  onFrame(frame: Uint8Array): void {
    this.route.forwardUp(frame);
  }
  onClosed(error: QiError): void {
    this.route.ended({ type: 'CLIENT.LOST', error });
  }
}

export class ForwardingRoute {
  /** Channel on the client link; assigned by `install`. */
  down = 0;
  framesUp = 0;
  framesDown = 0;
  private listener: ((end: RouteEnd) => void) | undefined;
  private installed = false;
  private readonly downstream = new DownstreamEnd(this);
  private readonly upstream: ChannelEndpoint = {
    onFrame: (frame) => this.forwardDown(frame),
    onClosed: (error) => this.ended({ type: 'SERVICE.GONE', error }),
  };

  constructor(
    readonly client: LinkSession,
    readonly service: LinkSession,
    /** Channel on the service link, from the service's bind reply. */
    readonly up: number,
    /** Where this route's signal subscriptions go: shared by every route to the same service on that link. */
    private readonly fanout: SignalFanout,
  ) {}

  /** Sets the one listener told how the route ends (the Forwarder actor). */
  onEnd(listener: ((end: RouteEnd) => void) | undefined): void {
    this.listener = listener;
  }

  /** Opens the client-side channel and starts forwarding both ways. */
  install(): number {
    this.down = this.client.openChannel(this.downstream);
    this.service.attachChannel(this.up, this.upstream);
    this.installed = true;
    return this.down;
  }

  get isInstalled(): boolean {
    return this.installed;
  }

  /** Stops forwarding; frames arriving afterwards on either channel are strays. */
  remove(): void {
    if (!this.installed) return;
    this.installed = false;
    this.fanout.dropRoute(this);
    if (this.client.channelEndpoint(this.down) === this.downstream) this.client.detachChannel(this.down);
    if (this.service.channelEndpoint(this.up) === this.upstream) this.service.detachChannel(this.up);
  }

  forwardUp(frame: Uint8Array): void {
    if (isSubscriptionCall(frame)) {
      this.subscription(frame);
      return;
    }
    setFrameChannel(frame, this.up);
    this.framesUp++;
    this.service.sendFrame(frame);
    throttle(this.service, this.client);
  }

  forwardDown(frame: Uint8Array): void {
    setFrameChannel(frame, this.down);
    this.framesDown++;
    this.client.sendFrame(frame);
    throttle(this.client, this.service);
  }

  /** An Event from the fan-out for this route's client: a frame of its own, channel rewritten here. */
  deliverEvent(frame: Uint8Array): void {
    setFrameChannel(frame, this.down);
    this.framesDown++;
    this.client.sendFrame(frame);
  }

  ended(end: RouteEnd): void {
    this.listener?.(end);
  }

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
      () => this.installed && this.client.reply(this.down, id, MAIN_OBJECT, action, undefined),
      (err: unknown) => this.installed && this.client.replyError(this.down, id, MAIN_OBJECT, action, toQiError(err)),
    );
  }

  toJSON(): object {
    return { down: this.down, up: this.up, client: this.client.id, service: this.service.id, framesUp: this.framesUp, framesDown: this.framesDown };
  }
}

/** registerEvent / unregisterEvent from a client: the gateway answers these itself, through the fan-out. */
function isSubscriptionCall(frame: Uint8Array): boolean {
  return frameType(frame) === MessageType.Call && frameAction(frame) <= ObjectAction.unregisterEvent && frameObject(frame) === MAIN_OBJECT;
}

/** Sources paused until some congested target drains; one drain handler per paused source, not per frame. */
const throttled = new WeakSet<LinkSession>();

/** When `target` cannot take more, stop reading `source` until it can. */
function throttle(target: LinkSession, source: LinkSession): void {
  if (!target.link.congested || throttled.has(source)) return;
  throttled.add(source);
  source.link.pause();
  target.link.onDrain(() => {
    throttled.delete(source);
    source.link.resume();
  });
}

/**
 * The forwarding entry of one binding: (client link, channel `down`) ⇄ (service link, channel `up`). A frame is
 * forwarded by rewriting its channel field in place and handing the same buffer to the other link; its body is
 * never decoded. Backpressure: when the link written to is congested, the link read from is paused until it drains.
 *
 * The route only moves frames and reports what happened at either end; the Forwarder actor decides what follows.
 */
import { setFrameChannel } from '../protocol/header.js';
import type { QiError } from '../protocol/errors.js';
import type { ChannelEndpoint, LinkSession } from '../session/link-session.js';

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
    if (this.client.channelEndpoint(this.down) === this.downstream) this.client.detachChannel(this.down);
    if (this.service.channelEndpoint(this.up) === this.upstream) this.service.detachChannel(this.up);
  }

  forwardUp(frame: Uint8Array): void {
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

  ended(end: RouteEnd): void {
    this.listener?.(end);
  }

  toJSON(): object {
    return { down: this.down, up: this.up, client: this.client.id, service: this.service.id, framesUp: this.framesUp, framesDown: this.framesDown };
  }
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

/**
 * Signal fan-out at the gateway, for one service on one service link. However many clients subscribe to a signal,
 * the service sees one subscription and sends each emission once: on a binding the gateway makes for itself. The
 * fan-out copies each Event frame to every subscribed route's client channel (the channel field rewritten, the
 * body untouched), in arrival order. The upstream subscription is dropped when the last subscriber leaves.
 */
import { ControlAction, MAIN_OBJECT, ObjectAction, type BindReply } from '../protocol/control.js';
import type { QiError } from '../protocol/errors.js';
import { frameAction, frameType, MessageType } from '../protocol/header.js';
import type { ChannelEndpoint, Session } from '../session/session.js';

/** A route that takes its client's copies of Event frames (a ForwardingRoute). */
export interface FanoutSubscriber {
  deliverEvent(frame: Uint8Array): void;
}

export class SignalFanout implements ChannelEndpoint {
  /** Emissions received from the service (one per emission, whatever the number of subscribers). */
  eventsIn = 0;
  /** Event frames sent to clients. */
  eventsOut = 0;
  private channel: Promise<number> | undefined;
  private readonly subscribers = new Map<number, Set<FanoutSubscriber>>();
  /** The upstream registerEvent of each member, once asked for (shared by concurrent first subscribers). */
  private readonly upstream = new Map<number, Promise<unknown>>();

  constructor(
    private readonly service: Session,
    private readonly name: string,
  ) {}

  async subscribe(subscriber: FanoutSubscriber, memberId: number): Promise<void> {
    let registration = this.upstream.get(memberId);
    if (!registration) {
      registration = this.upstreamCall(ObjectAction.registerEvent, memberId);
      this.upstream.set(memberId, registration);
      registration.catch(() => this.upstream.get(memberId) === registration && this.upstream.delete(memberId));
    }
    await registration;
    let set = this.subscribers.get(memberId);
    if (!set) this.subscribers.set(memberId, (set = new Set()));
    set.add(subscriber);
  }

  async unsubscribe(subscriber: FanoutSubscriber, memberId: number): Promise<void> {
    this.remove(subscriber, memberId);
  }

  /** Forgets every subscription of a route that ended. */
  dropSubscriber(subscriber: FanoutSubscriber): void {
    for (const memberId of [...this.subscribers.keys()]) this.remove(subscriber, memberId);
  }

  /** Events only: the session settles the answers to this fan-out's own calls. */
  onFrame(frame: Uint8Array): void {
    if (frameType(frame) !== MessageType.Event) {
      this.service.stats.strayFrames++;
      return;
    }
    this.eventsIn++;
    const routes = this.subscribers.get(frameAction(frame));
    if (!routes) return;
    let remaining = routes.size;
    for (const route of routes) {
      // Each client channel needs its own channel field; the last one takes the original buffer. (Uint8Array's
      // slice, a copy, even should a transport hand out Buffers, whose `slice` is a view of the same bytes.)
      route.deliverEvent(--remaining === 0 ? frame : Uint8Array.prototype.slice.call(frame));
      this.eventsOut++;
    }
  }

  onClosed(_error: QiError): void {
    this.subscribers.clear();
    this.upstream.clear();
    this.channel = undefined;
  }

  toJSON(): object {
    return { service: this.name, signals: this.subscribers.size, eventsIn: this.eventsIn, eventsOut: this.eventsOut };
  }

  private remove(subscriber: FanoutSubscriber, memberId: number): void {
    const set = this.subscribers.get(memberId);
    if (!set?.delete(subscriber) || set.size > 0) return;
    this.subscribers.delete(memberId);
    this.upstream.delete(memberId);
    if (!this.service.isClosed) this.upstreamCall(ObjectAction.unregisterEvent, memberId).catch(() => undefined);
  }

  private async upstreamCall(action: number, memberId: number): Promise<unknown> {
    const channel = await this.bound();
    return this.service.call(channel, MAIN_OBJECT, action, [memberId]);
  }

  /** The gateway's own binding to the service, made on first use. */
  private bound(): Promise<number> {
    this.channel ??= this.service.controlCall(ControlAction.bind, { name: this.name }).then((reply) => {
      const { channel } = reply as BindReply;
      this.service.attachChannel(channel, this);
      return channel;
    });
    this.channel.catch(() => (this.channel = undefined));
    return this.channel;
  }
}

/**
 * One service object, served on every binding made to it: its member table, its counters, and the signal
 * subscriptions of all its bindings. Each emission is encoded once and sent as one Event frame per subscribed
 * binding; a signal nobody subscribed to costs no frame. The per-binding work (calls, posts, cancels) is in
 * ServiceBinding.
 */
import { encodeBody } from '../protocol/codec.js';
import type { EventSink, MemberTable } from './meta-object.js';

export interface ServiceStats {
  calls: number;
  posts: number;
  errors: number;
  /** Posts to a member that does not exist (or with bad arguments): dropped, never answered. */
  droppedPosts: number;
  canceled: number;
  /** Signal emissions that had at least one subscriber. */
  emissions: number;
  /** Event frames sent (one per subscribed binding per emission). */
  eventFrames: number;
  /** Progress frames sent to the callers that asked for them. */
  progressFrames: number;
  /** `context.progress` calls dropped: the caller did not ask, or the call was already answered or canceled. */
  droppedProgress: number;
}

export type { EventSink } from './meta-object.js';

export class ServedObject {
  readonly stats: ServiceStats = { calls: 0, posts: 0, errors: 0, droppedPosts: 0, canceled: 0, emissions: 0, eventFrames: 0, progressFrames: 0, droppedProgress: 0 };
  /** The one record of who is subscribed to what: member id → the bindings subscribed to it. */
  protected readonly subscribers = new Map<number, Set<EventSink>>();
  private readonly detachers: Array<() => void> = [];

  constructor(readonly members: MemberTable) {
    for (const [id, { signal }] of members.signalsById) this.detachers.push(signal.attach((args) => this.emit(id, args)));
    for (const [id, { property }] of members.propertiesById) this.detachers.push(property.attach((args) => this.emit(id, args)));
  }

  get name(): string {
    return this.members.metaObject.name;
  }

  get metaObject(): MemberTable['metaObject'] {
    return this.members.metaObject;
  }

  isSubscribed(sink: EventSink, memberId: number): boolean {
    return this.subscribers.get(memberId)?.has(sink) ?? false;
  }

  subscribe(sink: EventSink, memberId: number): void {
    let set = this.subscribers.get(memberId);
    if (!set) this.subscribers.set(memberId, (set = new Set()));
    set.add(sink);
  }

  /** True if `sink` was subscribed to `memberId`. */
  unsubscribe(sink: EventSink, memberId: number): boolean {
    return this.subscribers.get(memberId)?.delete(sink) ?? false;
  }

  /**
   * Forgets every subscription of a binding that ended (a service has a handful of signals: one pass over them),
   * and says how many there were.
   */
  dropSubscriber(sink: EventSink): number {
    let dropped = 0;
    for (const set of this.subscribers.values()) if (set.delete(sink)) dropped++;
    return dropped;
  }

  /** Stops serving the object's signals and properties (the service closed). */
  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  private emit(memberId: number, args: unknown[]): void {
    const sinks = this.subscribers.get(memberId);
    if (!sinks || sinks.size === 0) return;
    this.stats.emissions++;
    const body = encodeBody(args);
    for (const sink of sinks) {
      this.stats.eventFrames++;
      sink.sendEvent(memberId, body);
    }
  }
}

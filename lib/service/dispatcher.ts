/**
 * Serves one service object on every binding made to it: it owns the member table and the signal subscriptions,
 * and turns each emission into one encode and one Event frame per subscribed binding. A signal nobody subscribed
 * to costs no frame. The per-binding work (calls, posts, cancels) is in ServiceBinding.
 */
import type { LinkSession } from '../session/link-session.js';
import type { MemberTable } from './meta-object.js';
import { encodeEvent, ServiceBinding } from './service-binding.js';

export interface DispatcherStats {
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
}

export class ServiceDispatcher {
  readonly stats: DispatcherStats = { calls: 0, posts: 0, errors: 0, droppedPosts: 0, canceled: 0, emissions: 0, eventFrames: 0 };
  private readonly subscribers = new Map<number, Set<ServiceBinding>>();
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

  /** The endpoint of a new binding on `session`; the caller sets its `channel` once opened. */
  bind(session: LinkSession): ServiceBinding {
    return new ServiceBinding(this, session);
  }

  subscribe(binding: ServiceBinding, memberId: number): void {
    (binding.subscriptions ??= new Set()).add(memberId);
    let set = this.subscribers.get(memberId);
    if (!set) this.subscribers.set(memberId, (set = new Set()));
    set.add(binding);
  }

  unsubscribe(binding: ServiceBinding, memberId: number): void {
    binding.subscriptions?.delete(memberId);
    this.subscribers.get(memberId)?.delete(binding);
  }

  /** Forgets every subscription of a binding that ended. */
  dropBinding(binding: ServiceBinding): void {
    for (const memberId of binding.subscriptions ?? []) this.subscribers.get(memberId)?.delete(binding);
    binding.subscriptions = undefined;
  }

  /** Stops serving the object's signals and properties (the service closed). */
  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  private emit(memberId: number, args: unknown[]): void {
    const bindings = this.subscribers.get(memberId);
    if (!bindings || bindings.size === 0) return;
    this.stats.emissions++;
    const body = encodeEvent(args);
    for (const binding of bindings) {
      this.stats.eventFrames++;
      binding.sendEvent(memberId, body);
    }
  }
}

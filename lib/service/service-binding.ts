/**
 * One client's binding to a service on one link: the endpoint of its channel. It answers Calls (the service's
 * methods and the reserved object actions), runs Posts, honours Cancels, and carries the binding's signal
 * subscriptions. User code runs here, outside any actor (DESIGN §4).
 *
 * A client that does not read its replies is not read either: after each answer, a congested link pauses the
 * session until it drains (and the link closes itself with LimitExceeded past its `maxBufferedBytes`). The calls
 * answered later are bounded per link, across its bindings, by the session's `maxPendingCalls`: a call arriving
 * when the link has that many is answered LimitExceeded without running.
 */
import type { Identity } from '../auth/authenticator.js';
import { describeArity } from './arity.js';
import { buildMessage, decodeMessageBody, encodeBody } from '../protocol/codec.js';
import { FIRST_MEMBER_ACTION, MAIN_OBJECT, ObjectAction } from '../protocol/control.js';
import { BadArgumentsError, CanceledError, LimitExceededError, NoSuchMemberError, RemoteError, toQiError, type QiError } from '../protocol/errors.js';
import { buildFrame, frameAction, frameFlags, frameId, frameObject, frameType, MessageType, WANTS_PROGRESS } from '../protocol/header.js';
import { throttle } from '../session/backpressure.js';
import type { ChannelEndpoint, Session } from '../session/session.js';
import type { EventSink, ServedObject } from './served-object.js';
import type { Property } from './members.js';
import type { DispatchContext, MethodEntry } from './meta-object.js';

const NEVER_ABORTED = new AbortController().signal;

export class ServiceBinding implements ChannelEndpoint, EventSink {
  readonly channel: number;
  /**
   * Calls being answered later (a promise) or whose method reads its context, by call id, so a Cancel can abort
   * them. A call answered synchronously is never here: no Cancel can come between its frame and its answer. The
   * AbortController is made only if the method reads `context.signal`: one per call cost a sixth of a call's time.
   */
  private inflight: Map<number, AbortController | null> | undefined;

  /** The context of calls that cannot be canceled (posts) or whose method ignores its context. */
  private readonly plainContext: DispatchContext;

  /**
   * Opens a channel on `session` served by `object`, for `caller` (what its methods see as `context.identity`);
   * `ended` is called once the channel has closed.
   */
  constructor(
    private readonly object: ServedObject,
    readonly session: Session,
    private readonly caller: Identity | undefined,
    private readonly ended?: () => void,
  ) {
    this.plainContext = { session, binding: this, signal: NEVER_ABORTED, identity: caller, progress: () => void this.object.stats.droppedProgress++ };
    this.channel = session.openChannel(this);
  }

  onFrame(frame: Uint8Array): void {
    switch (frameType(frame)) {
      case MessageType.Call:
        return this.onCall(frame);
      case MessageType.Post:
        return this.onPost(frame);
      case MessageType.Cancel:
        return this.onCancel(frameId(frame));
      default:
        this.session.stats.strayFrames++;
    }
  }

  onClosed(_error: QiError): void {
    this.ended?.();
    this.session.subscriptions -= this.object.dropSubscriber(this);
    const inflight = this.inflight;
    this.inflight = undefined;
    if (inflight) this.session.callsBeingAnswered -= inflight.size;
    for (const controller of inflight?.values() ?? []) controller?.abort(new CanceledError('the binding ended'));
  }

  /** Sends one signal emission; `body` is encoded once by the served object for every subscriber. */
  sendEvent(memberId: number, body: Uint8Array): void {
    this.session.sendFrame(buildFrame(MessageType.Event, this.channel, 0, MAIN_OBJECT, memberId, body));
  }

  private onCall(frame: Uint8Array): void {
    this.object.stats.calls++;
    const id = frameId(frame);
    const object = frameObject(frame);
    const action = frameAction(frame);
    const session = this.session;
    if (session.callsBeingAnswered >= session.maxPendingCalls) {
      this.object.stats.errors++;
      session.sendFrame(buildFrame(MessageType.Error, this.channel, id, object, action, refusalBody(session.maxPendingCalls)));
      return;
    }
    let tracked = false;
    let result: unknown;
    try {
      const args = this.arguments(object, frame);
      if (action < FIRST_MEMBER_ACTION) {
        result = this.reserved(action, args);
      } else {
        const method = this.method(action);
        const checked = this.checkArity(method, args);
        // A method reading its context may read the signal while it runs: its call is in flight from the start.
        if (method.usesContext) {
          this.track(id);
          tracked = true;
        }
        result = method.invoke(checked, method.usesContext ? this.context(id, object, action, (frameFlags(frame) & WANTS_PROGRESS) !== 0) : this.plainContext);
      }
    } catch (err) {
      if (tracked) this.finish(id);
      this.sendError(id, object, action, toQiError(err));
      return;
    }
    if (isThenable(result)) {
      // Only a call answered later can be canceled (a Cancel is read after this frame at the earliest).
      if (!tracked) this.track(id);
      result.then(
        (value) => this.finish(id) && this.reply(id, object, action, value),
        (err: unknown) => this.finish(id) && this.sendError(id, object, action, toQiError(err)),
      );
    } else {
      if (tracked) this.finish(id);
      this.reply(id, object, action, result);
    }
  }

  /** Answers a call; methods rather than closures made per call, as most calls answer synchronously. */
  private reply(id: number, object: number, action: number, value: unknown): void {
    try {
      this.session.reply(this.channel, id, object, action, value);
    } catch (err) {
      this.sendError(id, object, action, new RemoteError(`the result cannot be encoded: ${(err as Error).message}`));
      return;
    }
    throttle(this.session, this.session);
  }

  /** One Progress frame; it counts against the link like a reply (throttle, and the link's maxBufferedBytes). */
  private sendProgress(id: number, object: number, action: number, value: unknown): void {
    let frame: Uint8Array;
    try {
      frame = buildMessage(MessageType.Progress, this.channel, id, object, action, value);
    } catch (err) {
      throw new BadArgumentsError(`the progress value cannot be encoded as CBOR: ${(err as Error).message}`);
    }
    this.object.stats.progressFrames++;
    this.session.sendFrame(frame);
    throttle(this.session, this.session);
  }

  private sendError(id: number, object: number, action: number, error: QiError): void {
    this.object.stats.errors++;
    this.session.replyError(this.channel, id, object, action, error);
    throttle(this.session, this.session);
  }

  private onPost(frame: Uint8Array): void {
    const stats = this.object.stats;
    stats.posts++;
    let method: MethodEntry;
    let args: unknown[];
    try {
      args = this.arguments(frameObject(frame), frame);
      method = this.method(frameAction(frame));
      this.checkArity(method, args);
    } catch {
      stats.droppedPosts++;
      return;
    }
    try {
      const result = method.invoke(args, this.plainContext);
      // A post has no one to report to; a rejected promise must still not go unhandled.
      if (isThenable(result)) result.then(undefined, () => stats.errors++);
    } catch {
      stats.errors++;
    }
  }

  private onCancel(id: number): void {
    if (!this.inflight?.has(id)) return; // already answered: a late cancel is harmless
    const controller = this.inflight.get(id);
    this.inflight.delete(id);
    this.session.callsBeingAnswered--;
    this.object.stats.canceled++;
    controller?.abort(new CanceledError('canceled by the caller'));
    this.session.send(MessageType.Canceled, this.channel, id, MAIN_OBJECT, 0, undefined);
  }

  /**
   * The context of call `id`, whose `signal` (and AbortController) is made only when first read. Its `progress`
   * sends only if the Call asked for it (WANTS_PROGRESS) and only while the call is in flight.
   */
  private context(id: number, object: number, action: number, wantsProgress: boolean): DispatchContext {
    const binding = this;
    return {
      session: this.session,
      binding: this,
      identity: this.caller,
      progress: (value: unknown): void => {
        if (!wantsProgress || !this.inflight?.has(id)) {
          this.object.stats.droppedProgress++;
          return;
        }
        this.sendProgress(id, object, action, value);
      },
      get signal(): AbortSignal {
        const inflight = binding.inflight;
        let controller = inflight?.get(id);
        if (controller === undefined) return NEVER_ABORTED; // read after the call ended
        if (controller === null) inflight!.set(id, (controller = new AbortController()));
        return controller.signal;
      },
    };
  }

  /** Forgets a call that is being answered; false if it was canceled (its answer is then dropped). */
  private finish(id: number): boolean {
    if (!this.inflight?.delete(id)) return false;
    this.session.callsBeingAnswered--;
    return true;
  }

  /** Marks call `id` as in flight (the map is made on first use: many bindings never have a call pending). */
  private track(id: number): void {
    const inflight = (this.inflight ??= new Map());
    const before = inflight.size;
    inflight.set(id, null);
    // A peer reusing an id in flight replaces that call: the link's count follows the map's size.
    this.session.callsBeingAnswered += inflight.size - before;
  }

  private arguments(object: number, frame: Uint8Array): unknown[] {
    if (object !== MAIN_OBJECT) throw new NoSuchMemberError(`${this.object.name} has no object ${object}`);
    const body = decodeMessageBody(frame);
    if (!Array.isArray(body)) throw new BadArgumentsError('arguments must be a CBOR array');
    return body;
  }

  private method(action: number): MethodEntry {
    const method = this.object.members.methodsById.get(action);
    if (!method) throw new NoSuchMemberError(`${this.object.name} has no method with id ${action}`);
    return method;
  }

  /**
   * Subscriptions are counted per link, across its bindings: each costs an Event frame per emission, and a link
   * that binds many channels and subscribes each would multiply every emission (hole 5: 20,000 subscriptions of
   * one link that never reads turned 24 KB of registrations into 368 MB).
   */
  private subscribe(memberId: number): void {
    if (this.object.isSubscribed(this, memberId)) return;
    const limit = this.session.maxSubscriptions;
    if (this.session.subscriptions >= limit) throw new LimitExceededError(`too many subscriptions on this link (limit ${limit})`);
    this.object.subscribe(this, memberId);
    this.session.subscriptions++;
  }

  private checkArity(method: MethodEntry, args: unknown[]): unknown[] {
    const max = method.maxArity === undefined ? method.arity : method.maxArity;
    if (args.length < method.arity || (max !== null && args.length > max)) {
      throw new BadArgumentsError(`${method.name} ${describeArity({ min: method.arity, max })}, got ${args.length}`);
    }
    return args;
  }

  /** The reserved object actions (0–99). */
  private reserved(action: number, args: unknown[]): unknown {
    const { members } = this.object;
    switch (action) {
      case ObjectAction.registerEvent:
        return this.subscribe(this.eventId(args));
      case ObjectAction.unregisterEvent:
        if (this.object.unsubscribe(this, this.eventId(args))) this.session.subscriptions--;
        return undefined;
      case ObjectAction.metaObject:
        return members.metaObject;
      case ObjectAction.property:
        return this.property(args[0]).property.get();
      case ObjectAction.setProperty: {
        const entry = this.property(args[0]);
        if (args.length !== 2) throw new BadArgumentsError('setProperty takes (propertyId, value)');
        if (entry.property.readOnly) throw new BadArgumentsError(`property ${entry.name} is read-only`);
        try {
          entry.property.set(args[1]);
        } catch (err) {
          // The validator's refusal, said with the property's name (the property itself does not know it).
          if (err instanceof BadArgumentsError) throw new BadArgumentsError(`property ${entry.name}: ${err.message}`);
          throw err;
        }
        return undefined;
      }
      case ObjectAction.properties:
        return Object.fromEntries([...members.propertiesById.values()].map(({ name, property }) => [name, property.get()]));
      default:
        throw new NoSuchMemberError(`reserved action ${action} is not served`);
    }
  }

  private eventId(args: unknown[]): number {
    const id = args[0];
    const { members } = this.object;
    if (typeof id !== 'number' || (!members.signalsById.has(id) && !members.propertiesById.has(id))) {
      throw new NoSuchMemberError(`${this.object.name} has no signal or property with id ${String(id)}`);
    }
    return id;
  }

  private property(id: unknown): { name: string; property: Property } {
    const entry = typeof id === 'number' ? this.object.members.propertiesById.get(id) : undefined;
    if (!entry) throw new NoSuchMemberError(`${this.object.name} has no property with id ${String(id)}`);
    return entry;
  }
}

let refusal: { limit: number; body: Uint8Array } | undefined;

/** The Error body answering a call past `limit` calls being answered on a link, encoded once per limit. */
function refusalBody(limit: number): Uint8Array {
  if (refusal?.limit !== limit) {
    refusal = { limit, body: encodeBody(new LimitExceededError(`too many calls being answered on this link (limit ${limit})`).toBody()) };
  }
  return refusal.body;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

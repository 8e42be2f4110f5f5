/**
 * The client's end of one binding: calls, posts, signal subscriptions and properties on its channel. It is the
 * direct path a bound Client installs (DESIGN §4): a call costs a map lookup and an encode, no actor event.
 *
 * It belongs to a Session, not to a link: when the session's link is detached the channel is suspended (calls
 * made then wait for it, see waiting-calls.ts), and once the session has a new link it binds again by itself: a
 * new channel number, its signal subscriptions replayed, the waiting calls sent. It tells its one owner (the
 * Client actor) when it is suspended, bound again, and, once, when the binding ends.
 *
 * A method may answer with an object (a Reply flagged OBJECT_RESULT, docs/PROTOCOL.md §5, Objects): the far side
 * opened a channel for it on this link, and the call resolves with a ClientChannel attached to that channel at once
 * (no bind round trip), handed to `adoptObject` (the Connection makes it a ServiceClient). An object's channel lives
 * as long as the binding that returned it and the link: it ends with ServiceGone when either ends, and is never
 * bound again (an object has no name to bind it by).
 */
import { decodeMessageBody } from '../protocol/codec.js';
import { readBindReply } from '../protocol/bind-reply.js';
import { ControlAction, MAIN_OBJECT, ObjectAction, type BindReply, type MetaObject } from '../protocol/control.js';
import {
  ClosedError,
  DirectoryUnavailableError,
  NoSuchMemberError,
  ProtocolError,
  ServiceGoneError,
  ServiceNotFoundError,
  TimeoutError,
  toQiError,
  type QiError,
} from '../protocol/errors.js';
import { frameAction, frameType, MessageType } from '../protocol/header.js';
import type { ChannelEndpoint, Session } from '../session/session.js';
import { memberIds, sharedMetaObject, type MemberRef } from '../session/shared-meta-objects.js';
import { backoffDelay, type BackoffOptions } from '../session/backoff.js';
import { abortError } from './abort-error.js';
import { WaitingCalls } from './waiting-calls.js';

const NO_MEMBERS: ReadonlyMap<string, MemberRef> = new Map();

/** Per-call options. */
export interface CallOptions {
  /** Aborting cancels the call: it rejects with CanceledError and the service's handler sees its signal fire. */
  signal?: AbortSignal;
  /** Milliseconds before the call rejects with TimeoutError (and is canceled at the service). */
  timeout?: number;
  /**
   * Called with each progress report the service's handler sends this call (`context.progress(value)`), until the
   * call is answered, canceled or times out; reports of other callers' calls never come here. A service too old to
   * send progress sends none: the call is answered as usual. A listener that throws is counted with the signal
   * listeners' errors (and given to `onListenerError`); the call goes on.
   */
  onProgress?: (value: unknown) => void;
}

export type SignalListener = (...args: unknown[]) => void;

type ChannelState = 'unbound' | 'bound' | 'suspended' | 'ended';

/** Who hears what happens to the binding (the Client actor). */
export interface ChannelOwner {
  /** The link was lost; the channel waits for the next one. */
  suspended(error: QiError): void;
  /** Bound again on a new link. */
  rebound(): void;
  /** Once: the binding is over. */
  ended(error: QiError): void;
}

export class ClientChannel implements ChannelEndpoint {
  private channelNumber = 0;
  private meta: MetaObject | undefined;
  /** Shared by every client of the same service on this link (see shared-meta-objects.ts). */
  private ids: ReadonlyMap<string, MemberRef> = NO_MEMBERS;
  private state: ChannelState = 'unbound';
  /** Why calls fail now: the link's loss while suspended, the binding's end once ended. */
  private failure: QiError | undefined;
  private owner: ChannelOwner | undefined;
  // The collections below are made on first use: most clients only call, and a connection may hold thousands.
  private listeners: Map<number, Set<SignalListener>> | undefined;
  private waiting: WaitingCalls | undefined;
  private rebinding: Promise<void> | undefined;
  /** While waiting for a service that went away to come back: the next bind attempt, and how many were made. */
  private returnTimer: ReturnType<typeof setTimeout> | undefined;
  private returnAttempts = 0;
  /** The registerEvent under way for a member, so concurrent subscribers share it. */
  private registering: Map<number, Promise<unknown>> | undefined;
  /** Listeners that threw; they never break other listeners or the link. */
  listenerErrors = 0;
  /**
   * Makes an object a method returned (its channel, attached and bound) into what the call resolves with; unset, an
   * object result fails the call with ProtocolError and its channel is released.
   */
  adoptObject: ((object: ClientChannel) => unknown) | undefined;
  /** An object's channel: the bind reply it came with, until `bind` hands it over, and the binding that returned it. */
  private adopted: BindReply | undefined;
  private parent: ClientChannel | undefined;
  /** Objects this binding's methods returned that are still bound. */
  private objects: Set<ClientChannel> | undefined;

  constructor(
    readonly session: Session,
    readonly serviceName: string,
    /** Default options of every call (e.g. a per-client timeout). */
    readonly defaults: CallOptions = {},
    private readonly onListenerError?: (error: unknown) => void,
    /** Most calls that may wait while the channel is suspended; 0 fails them at once with the link's error. */
    private readonly maxWaitingCalls = 1_000,
    /**
     * When the service goes away (ServiceGone, or not found on a rebind): undefined ends the binding; a policy
     * keeps it suspended and binds again on this backoff until the service is back.
     */
    private readonly awaitService?: Required<BackoffOptions>,
  ) {}

  get channel(): number {
    return this.channelNumber;
  }

  get metaObject(): MetaObject | undefined {
    return this.meta;
  }

  /** True once the binding has ended for good. */
  get ended(): boolean {
    return this.state === 'ended';
  }

  /** True for an object a method returned (bound by the far side, never bound again). */
  get isObject(): boolean {
    return this.parent !== undefined;
  }

  /** Asks the far side of the link to bind `serviceName`; on success the channel routes to this object. */
  async bind(): Promise<BindReply> {
    const adopted = this.adopted;
    if (adopted) {
      // An object: bound already by the far side's OBJECT_RESULT reply.
      this.adopted = undefined;
      if (this.state === 'ended') throw this.failure!;
      return { channel: adopted.channel, metaObject: this.meta! };
    }
    const reply = readBindReply(await this.session.controlCall(ControlAction.bind, { name: this.serviceName }));
    if (this.state === 'ended') {
      // Closed while the bind was under way: release the channel the far side just opened for us.
      this.session.controlCall(ControlAction.unbind, { channel: reply.channel }).catch(() => undefined);
      throw this.failure!;
    }
    this.channelNumber = reply.channel;
    this.meta = sharedMetaObject(this.session, this.serviceName, reply.metaObject);
    this.ids = memberIds(this.meta);
    this.state = 'bound';
    this.failure = undefined;
    this.session.attachChannel(reply.channel, this);
    return { channel: reply.channel, metaObject: this.meta };
  }

  /**
   * Binds the service again on the session's new link, after a suspension: a new channel number, the same
   * listeners, each subscribed signal registered again (by name: the service may have renumbered its members).
   */
  rebind(): Promise<void> {
    if (this.state !== 'suspended') return Promise.resolve();
    this.rebinding ??= this.bindAgain().finally(() => (this.rebinding = undefined));
    return this.rebinding;
  }

  private async bindAgain(): Promise<void> {
    const previous = this.ids;
    const names = new Map<number, string>();
    for (const [name, member] of previous) if (member.kind !== 'method') names.set(member.id, name);
    await this.bind();
    const listeners = this.listeners;
    if (!listeners || listeners.size === 0) return;
    this.listeners = new Map();
    const registrations: Array<Promise<unknown>> = [];
    for (const [oldId, set] of listeners) {
      const member = this.ids.get(names.get(oldId) ?? '');
      // A signal the service no longer has: its listeners are dropped, as a failed `on` would be.
      if (!member || member.kind === 'method') continue;
      this.listeners.set(member.id, set);
      registrations.push(this.objectCall(ObjectAction.registerEvent, [member.id]).catch(() => this.listeners?.delete(member.id)));
    }
    await Promise.all(registrations);
  }

  /** The session has a new link: bind again, then tell the owner and send what waited. */
  onResumed(): void {
    this.rebind().then(
      () => {
        if (this.state !== 'bound') return;
        this.returnAttempts = 0;
        this.owner?.rebound();
        this.waiting?.resume();
      },
      (err: unknown) => {
        if (this.state !== 'suspended') return;
        // The link went again: the next one will bind again. Anything else ends the binding.
        if (!this.session.isOpen) return;
        const error = err instanceof ServiceNotFoundError ? new ServiceGoneError(`service '${this.serviceName}' is gone: ${err.message}`) : toQiError(err);
        // A directory out of reach is as transient as the service itself, for a client told to wait.
        if ((error instanceof ServiceGoneError || error instanceof DirectoryUnavailableError) && this.awaitService) {
          this.waitForService(error);
          return;
        }
        this.session.forgetSuspended(this);
        this.end(error);
      },
    );
  }

  /** The service went away and the policy says wait: stay suspended, and try to bind again after a backoff. */
  private waitForService(error: QiError): void {
    const policy = this.awaitService!;
    if (this.state === 'bound') {
      this.state = 'suspended';
      this.failure = error;
      // Its binding ended at the far side, and its objects with it: they are not bound again with it.
      this.endObjects();
      this.session.keepSuspended(this);
      this.owner?.suspended(error);
    }
    if (++this.returnAttempts > policy.maxAttempts) {
      this.session.forgetSuspended(this);
      this.end(error);
      return;
    }
    clearTimeout(this.returnTimer);
    this.returnTimer = setTimeout(() => {
      this.returnTimer = undefined;
      // Without a link, the session's next one binds again (onResumed).
      if (this.state === 'suspended' && this.session.isOpen) this.onResumed();
    }, backoffDelay(policy, this.returnAttempts));
    this.returnTimer.unref?.();
  }

  /** Runs `send` now, or once bound again if the channel is suspended (see WaitingCalls). */
  private whenBound<T>(send: (options: CallOptions) => Promise<T>, options: CallOptions): Promise<T> {
    if (this.state !== 'suspended') return send(options);
    if (this.maxWaitingCalls === 0) return Promise.reject(this.failure);
    this.waiting ??= new WaitingCalls(this.maxWaitingCalls);
    return this.waiting.wait((timeLeft) => send(timeLeft === undefined ? options : { ...options, timeout: timeLeft }), options.timeout, options.signal);
  }

  call(method: string, args: unknown[], options?: CallOptions): Promise<unknown> {
    if (this.state !== 'bound') return this.notBound((opts) => this.call(method, args, opts), options);
    let id: number;
    try {
      id = this.memberId(method, 'method');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.objectCall(id, args, this.withDefaults(options), this.takeObject);
  }

  /** Made once per channel, not per call: the call path allocates nothing for the rare object result. */
  private readonly takeObject = (body: unknown): unknown => this.objectResult(body);

  /**
   * A method's object result: its channel, opened by the far side, is attached to a new ClientChannel at once (in
   * the frame's turn, so its first frames find it). A malformed reply, or one naming a channel bound already, is a
   * ProtocolError for that call.
   */
  private objectResult(body: unknown): unknown {
    let reply: BindReply;
    try {
      reply = readBindReply(body);
    } catch (err) {
      // The far side opened the channel all the same: released, or it would hold one of the link's bindings.
      this.session.releaseObject(body);
      throw err;
    }
    if (this.session.channelEndpoint(reply.channel) !== undefined) {
      throw new ProtocolError(`an object result names channel ${reply.channel}, which is bound already`);
    }
    const adopt = this.adoptObject;
    if (!adopt || this.state !== 'bound') {
      this.session.releaseObject(reply);
      throw this.failure ?? new ProtocolError(`an object result from ${this.serviceName} that no one takes`);
    }
    // The far side names it (a bridge: `Service.method()`).
    const name = reply.metaObject.name || `${this.serviceName} object`;
    // Its calls wait for no link (maxWaitingCalls 0): it is not bound again after a loss.
    const object = new ClientChannel(this.session, name, this.defaults, this.onListenerError, 0);
    object.parent = this;
    object.adopted = reply;
    object.channelNumber = reply.channel;
    object.meta = sharedMetaObject(this.session, name, reply.metaObject);
    object.ids = memberIds(object.meta);
    object.state = 'bound';
    object.adoptObject = adopt;
    this.session.attachChannel(reply.channel, object);
    (this.objects ??= new Set()).add(object);
    return adopt(object);
  }

  /** A call made while not bound: it waits if the channel is suspended, else fails with why it is not bound. */
  private notBound<T>(retry: (options: CallOptions) => Promise<T>, options: CallOptions | undefined): Promise<T> {
    if (this.state === 'suspended') return this.whenBound(retry, this.withDefaults(options));
    return Promise.reject(this.failure ?? new ClosedError(`client of ${this.serviceName} is not bound`));
  }

  /** Sends a one-way call: never answered; a post to nothing is dropped by the service. */
  post(method: string, args: unknown[]): void {
    if (this.failure) throw this.failure;
    this.session.post(this.channelNumber, MAIN_OBJECT, this.memberId(method, 'method'), args);
  }

  /** Subscribes `listener` to a signal (or a property's changes); the first listener subscribes the binding. */
  async subscribe(name: string, listener: SignalListener): Promise<void> {
    if (this.state === 'suspended') {
      // Kept now, registered when bound again (rebind registers every signal that has listeners).
      const id = this.eventId(name);
      const listeners = (this.listeners ??= new Map());
      let set = listeners.get(id);
      if (!set) listeners.set(id, (set = new Set()));
      set.add(listener);
      return this.whenBound(() => Promise.resolve(), this.defaults);
    }
    if (this.failure) throw this.failure;
    const id = this.eventId(name);
    const listeners = (this.listeners ??= new Map());
    const registering = (this.registering ??= new Map());
    let set = listeners.get(id);
    if (!set) listeners.set(id, (set = new Set()));
    const first = set.size === 0 && !registering.has(id);
    set.add(listener);
    if (first) {
      const registration = this.objectCall(ObjectAction.registerEvent, [id]);
      registering.set(id, registration);
      try {
        await registration;
      } catch (err) {
        set.delete(listener);
        throw err;
      } finally {
        registering.delete(id);
      }
    } else {
      await registering.get(id);
    }
  }

  /** Removes `listener`; the last one unsubscribes the binding. */
  async unsubscribe(name: string, listener: SignalListener): Promise<void> {
    const id = this.eventId(name);
    const set = this.listeners?.get(id);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners?.delete(id);
    if (this.failure) return;
    await this.objectCall(ObjectAction.unregisterEvent, [id]).catch(() => undefined);
  }

  getProperty(name: string, options?: CallOptions): Promise<unknown> {
    return this.propertyCall(ObjectAction.property, name, [], options);
  }

  async setProperty(name: string, value: unknown, options?: CallOptions): Promise<void> {
    await this.propertyCall(ObjectAction.setProperty, name, [value], options);
  }

  /**
   * The objects this binding returned end with it (the far side releases them with the binding): at once here, so
   * that they do not wait for its channelClosed; their channels are forgotten, and a late frame on them is a stray.
   */
  private endObjects(): void {
    const objects = this.objects;
    if (!objects || objects.size === 0) return;
    this.objects = undefined;
    for (const object of objects) {
      if (object.state === 'ended') continue;
      if (this.session.channelEndpoint(object.channelNumber) === object) {
        this.session.detachChannel(object.channelNumber);
        this.session.calls.failChannel(object.channelNumber, new ServiceGoneError(`object ${object.serviceName} ended with the binding that returned it`));
      }
      object.end(new ServiceGoneError(`object ${object.serviceName} ended with the binding that returned it (${this.serviceName})`));
    }
  }

  /** Ends the binding from this side: pending calls fail with ClosedError and the far side is told (best effort). */
  unbind(): Promise<void> {
    if (this.state === 'ended') return Promise.resolve();
    const wasBound = this.state === 'bound';
    const error = new ClosedError(`client of ${this.serviceName} closed`);
    this.end(error);
    this.session.forgetSuspended(this);
    if (!wasBound || !this.session.isOpen) return Promise.resolve();
    this.session.detachChannel(this.channelNumber);
    this.session.calls.failChannel(this.channelNumber, error);
    return this.session.controlCall(ControlAction.unbind, { channel: this.channelNumber }).then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Sets the one owner of this channel, the Client actor (undefined clears it); told at once if the binding has
   * ended. A slot rather than an invoked watcher actor.
   */
  setOwner(owner: ChannelOwner | undefined): void {
    this.owner = owner;
    if (owner && this.state === 'ended') owner.ended(this.failure!);
  }

  /** Events only: the session settles answers to this channel's calls itself. */
  onFrame(frame: Uint8Array): void {
    if (frameType(frame) === MessageType.Event) this.onEvent(frame);
    else this.session.stats.strayFrames++;
  }

  onSuspended(error: QiError): void {
    if (this.parent) {
      // An object lives on its link only: the far side released it with the link, and nothing can bind it again.
      this.session.forgetSuspended(this);
      this.end(new ServiceGoneError(`object ${this.serviceName} lost with its link: ${error.message}`));
      return;
    }
    if (this.state !== 'bound') return;
    this.state = 'suspended';
    this.failure = error;
    this.owner?.suspended(error);
  }

  onClosed(error: QiError): void {
    // The far side says the service went away (not that the link ended): wait for it, if told to.
    if (error instanceof ServiceGoneError && this.awaitService && this.state === 'bound' && this.session.isOpen) {
      this.waitForService(error);
      return;
    }
    this.end(error);
  }

  toJSON(): object {
    return { service: this.serviceName, channel: this.channelNumber, state: this.state, subscriptions: this.listeners?.size ?? 0 };
  }

  private objectCall(action: number, args: unknown[], options: CallOptions = {}, onObject?: (body: unknown) => unknown): Promise<unknown> {
    const { signal, timeout, onProgress } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal, 'the call was canceled before it was sent'));
    const { id, result } = this.session.startCall(this.channelNumber, MAIN_OBJECT, action, args, onProgress && this.progressListener(onProgress), onObject);
    if (!signal && timeout === undefined) return result;
    const cancel = (error: QiError): void => this.session.cancel(this.channelNumber, id, error);
    const onAbort = (): void => cancel(abortError(signal!, 'the call was canceled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeout === undefined ? undefined : setTimeout(() => cancel(new TimeoutError(`no answer within ${timeout} ms`)), timeout);
    const cleanUp = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    result.then(cleanUp, cleanUp);
    return result;
  }

  /** The caller's progress listener, its errors counted and reported as a signal listener's are. */
  private progressListener(onProgress: (value: unknown) => void): (value: unknown) => void {
    return (value) => {
      try {
        onProgress(value);
      } catch (err) {
        this.listenerErrors++;
        this.onListenerError?.(err);
      }
    };
  }

  private propertyCall(action: number, name: string, extra: unknown[], options?: CallOptions): Promise<unknown> {
    if (this.state !== 'bound') return this.notBound((opts) => this.propertyCall(action, name, extra, opts), options);
    let id: number;
    try {
      id = this.memberId(name, 'property');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.objectCall(action, [id, ...extra], this.withDefaults(options));
  }

  /** This client's defaults overridden by one call's options; no new object for the common call without any. */
  private withDefaults(options: CallOptions | undefined): CallOptions {
    if (options === undefined || (options.signal === undefined && options.timeout === undefined && options.onProgress === undefined)) {
      return this.defaults;
    }
    return { ...this.defaults, ...options };
  }

  private onEvent(frame: Uint8Array): void {
    const set = this.listeners?.get(frameAction(frame));
    if (!set || set.size === 0) return;
    let args: unknown;
    try {
      args = decodeMessageBody(frame);
    } catch {
      this.session.stats.strayFrames++;
      return;
    }
    const list = Array.isArray(args) ? args : [args];
    // A copy: a listener may unsubscribe itself (or others) while being called.
    for (const listener of [...set]) {
      try {
        listener(...list);
      } catch (err) {
        this.listenerErrors++;
        this.onListenerError?.(err);
      }
    }
  }

  private memberId(name: string, kind: 'method' | 'property'): number {
    const member = this.ids.get(name);
    if (!member || member.kind !== kind) throw new NoSuchMemberError(`${this.serviceName} has no ${kind} '${name}'`);
    return member.id;
  }

  private eventId(name: string): number {
    const member = this.ids.get(name);
    if (!member || member.kind === 'method') throw new NoSuchMemberError(`${this.serviceName} has no signal or property '${name}'`);
    return member.id;
  }

  private end(error: QiError): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.failure = error;
    clearTimeout(this.returnTimer);
    this.parent?.objects?.delete(this);
    this.endObjects();
    this.listeners = undefined;
    this.waiting?.failAll(error);
    this.waiting = undefined;
    const owner = this.owner;
    this.owner = undefined;
    owner?.ended(error);
  }
}

/**
 * One qimessaging client's binding to a libqi service through a bridging gateway: the endpoint of its channel on
 * the client's link, translating each frame instead of forwarding it (native bindings keep ForwardingRoute's
 * header rewrite). CBOR bodies are decoded, and each operation is made with the binding's LibqiServiceClient,
 * which encodes it by the libqi signature:
 *
 *   Call [args]              → call(name, ...args) (overload chosen by the arguments) → Reply / Error
 *   Cancel                   → the call's AbortSignal → a libqi Cancel; answered Canceled at once
 *   Post [args]              → post(name, ...args) (dropped when it does not encode, as a service drops it)
 *   registerEvent [id]       → on(name) → Event frames [args] (a property's change: [value])
 *   unregisterEvent [id]     → off(name)
 *   property [id]            → property(name).get()
 *   setProperty [id, value]  → property(name).set(value)
 *   properties []            → every property's get(), as { name: value }
 *   metaObject []            → the bridged meta-object
 *   a method's object (`o`)  → a route of its own on the client's link: Reply flagged OBJECT_RESULT, body
 *                              { channel, metaObject } (clients announcing features.objects; else RemoteError)
 *
 * Bounded like a forwarded binding: at most the client link's `maxCallsInFlightPerBinding` calls of this binding
 * wait on the libqi service (a canceled one is freed at once, as the client gives it up); a further call is
 * answered LimitExceeded without reaching it. A client that does not read its replies is not read either (as a
 * forwarded binding); events it does not read close its link past `maxBufferedBytes`. Subscriptions count against the link's `maxSubscriptions`. Errors
 * reach the client typed: RemoteError (the service threw), BadArguments (no overload takes the arguments),
 * NoSuchMember, Canceled, Timeout, ConnectionLost.
 */
import { buildMessage, decodeMessageBody } from '../protocol/codec.js';
import { FIRST_MEMBER_ACTION, MAIN_OBJECT, ObjectAction, type BindReply } from '../protocol/control.js';
import { BadArgumentsError, CanceledError, LimitExceededError, NoSuchMemberError, RemoteError, ServiceGoneError, toQiError, type QiError } from '../protocol/errors.js';
import { frameAction, frameId, frameObject, frameType, MessageType, OBJECT_RESULT, setFrameFlags } from '../protocol/header.js';
import { LibqiServiceClient, type LibqiSignalListener } from '../libqi/libqi-service-client.js';
import { throttle } from '../session/backpressure.js';
import type { ChannelEndpoint, Session } from '../session/session.js';
import type { BridgedMetaObject } from './libqi-meta-object.js';
import { objectRefsIn, toCborValue } from './libqi-values.js';

/** A client of the service with its own AbortSignal, for one call at a time. */
interface Caller {
  controller: AbortController;
  client: LibqiServiceClient;
}

/** Idle callers a route keeps for its next calls (as many as calls it usually has in flight). */
const MAX_IDLE_CALLERS = 64;

export class LibqiRoute implements ChannelEndpoint {
  readonly channel: number;
  /** Calls sent to the libqi service and not answered by it yet. */
  callsInFlight = 0;
  /** Calls answered LimitExceeded here because `callsInFlight` was at its bound. */
  refusedCalls = 0;
  /** Event frames sent to the client. */
  events = 0;
  /** Calls the client may still cancel, by call id. */
  private readonly cancelable = new Map<number, AbortController>();
  /** This binding's listeners at the libqi service, by member id. */
  private readonly listeners = new Map<number, LibqiSignalListener>();
  /** Method calls the client canceled whose libqi call has not settled yet: their answers are dropped. */
  private readonly canceled = new Set<number>();
  private readonly idleCallers: Caller[] = [];
  private ended = false;
  private readonly stopWatchingLink: () => void;

  /** Objects this binding's methods returned, each on a route of its own: they end with this one. */
  private readonly objects = new Set<LibqiRoute>();

  constructor(
    readonly client: Session,
    readonly service: LibqiServiceClient,
    readonly bridged: BridgedMetaObject,
    /** Called once, when the binding has ended (either side). */
    private readonly onEnded: (route: LibqiRoute) => void,
    /**
     * Opens a route for an object a method of this binding returned, on the client's link (the bridge counts it as
     * a binding); throws LimitExceeded past the link's share. Unset, objects are refused with RemoteError.
     */
    private readonly openObject?: (parent: LibqiRoute, object: LibqiServiceClient, method: string) => BindReply,
  ) {
    this.channel = client.openChannel(this);
    // The service's link died without the directory saying so first (the process was killed, its host went away):
    // the binding ends as a native one whose service link is lost, so a client told to wait binds again.
    this.stopWatchingLink = service.onLinkClosed((reason) => this.end(new ServiceGoneError(`service '${this.name}' lost: ${reason.message}`)));
  }

  get name(): string {
    return this.bridged.metaObject.name;
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
        this.client.stats.strayFrames++;
    }
  }

  /** The client unbound, or its link closed. */
  onClosed(_error: QiError): void {
    this.release();
  }

  /** Ends the binding from the gateway's side (the libqi service went away): the client is told `error`. */
  end(error: QiError): void {
    if (this.ended) return;
    if (!this.client.isClosed && this.client.channelEndpoint(this.channel) === this) this.client.endChannel(this.channel, error);
    this.release();
  }

  toJSON(): object {
    return { service: this.name, channel: this.channel, client: this.client.id, callsInFlight: this.callsInFlight, refusedCalls: this.refusedCalls, events: this.events };
  }

  /** An object route opened for one of this binding's results: it ends when this binding does. */
  adopt(object: LibqiRoute): void {
    this.objects.add(object);
  }

  /** An object route that ended before this binding (closed by its client, its link gone): not held any longer. */
  disown(object: LibqiRoute): void {
    this.objects.delete(object);
  }

  private release(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopWatchingLink();
    for (const object of [...this.objects]) object.end(new ServiceGoneError(`object ${object.name} ended with the binding that returned it (${this.name})`));
    this.objects.clear();
    for (const controller of this.cancelable.values()) controller.abort(new CanceledError('the binding ended'));
    this.cancelable.clear();
    this.idleCallers.length = 0;
    this.client.subscriptions -= this.listeners.size;
    this.listeners.clear();
    // Unsubscribes this binding's events at the service (its own LibqiServiceClient: the others' stay).
    void this.service.close().catch(() => undefined);
    this.onEnded(this);
  }

  private onCall(frame: Uint8Array): void {
    const id = frameId(frame);
    const object = frameObject(frame);
    const action = frameAction(frame);
    if (this.callsInFlight >= this.client.maxCallsInFlightPerBinding) {
      this.refusedCalls++;
      this.client.replyError(this.channel, id, object, action, new LimitExceededError(`too many calls in flight on this binding (limit ${this.client.maxCallsInFlightPerBinding})`));
      return;
    }
    let answer: Promise<unknown>;
    try {
      const args = this.arguments(object, frame);
      answer = action < FIRST_MEMBER_ACTION ? this.reserved(action, args) : this.method(id, action, args);
    } catch (err) {
      this.client.replyError(this.channel, id, object, action, toQiError(err));
      return;
    }
    this.callsInFlight++;
    answer.then(
      (value) => this.answer(id, object, action, value, () => this.sendReply(id, object, action, value)),
      (err: unknown) => this.answer(id, object, action, undefined, () => this.client.replyError(this.channel, id, object, action, toQiError(err))),
    );
  }

  /**
   * A call the libqi service has answered: its slot is free; the answer goes to the client unless canceled (an
   * object answered then is released at once: no one will ever address it).
   */
  private answer(id: number, object: number, action: number, value: unknown, send: () => void): void {
    this.callsInFlight--;
    this.cancelable.delete(id);
    // Canceled by the client, which had its Canceled then: the late answer is dropped.
    if (this.canceled.delete(id) || this.ended || this.client.isClosed) {
      if (value instanceof LibqiServiceClient) void value.close().catch(() => undefined);
      return;
    }
    try {
      send();
    } catch (err) {
      this.client.replyError(this.channel, id, object, action, toQiError(err));
    }
    // A client that does not read its replies: stop reading its calls (never the libqi link, which others share).
    throttle(this.client, this.client);
  }

  private method(id: number, action: number, args: unknown[]): Promise<unknown> {
    const method = this.bridged.methods.get(action);
    if (!method) throw new NoSuchMemberError(`${this.name} has no method with id ${action}`);
    if (args.length < method.min || args.length > method.max) {
      const takes = method.min === method.max ? `${method.min}` : `${method.min} to ${method.max}`;
      throw new BadArgumentsError(`${this.name}.${method.name} takes ${takes} arguments, got ${args.length}`);
    }
    const caller = this.idleCallers.pop() ?? this.newCaller();
    this.cancelable.set(id, caller.controller);
    return caller.client.call(method.name, ...args).finally(() => {
      // Reused by the next call unless this one was canceled (its signal stays aborted).
      if (!caller.controller.signal.aborted && this.idleCallers.length < MAX_IDLE_CALLERS) this.idleCallers.push(caller);
    });
  }

  /**
   * A copy of the service's client whose calls one AbortController cancels. Made per call it halved the calls/s
   * through the bridge (`with()` defines every method on its copy), so copies are kept for reuse, one call at a
   * time each: a canceled one is dropped.
   */
  private newCaller(): Caller {
    const controller = new AbortController();
    return { controller, client: this.service.with({ signal: controller.signal }) };
  }

  private onPost(frame: Uint8Array): void {
    try {
      const args = this.arguments(frameObject(frame), frame);
      const method = this.bridged.methods.get(frameAction(frame));
      if (method && args.length >= method.min && args.length <= method.max) this.service.post(method.name, ...args);
    } catch {
      // A post that does not encode is dropped, never answered (as a qimessaging service drops it).
    }
  }

  private onCancel(id: number): void {
    const controller = this.cancelable.get(id);
    if (!controller) return; // answered already, or not a method call: a late cancel is harmless
    this.cancelable.delete(id);
    this.canceled.add(id);
    controller.abort(new CanceledError('canceled by the caller'));
    this.client.send(MessageType.Canceled, this.channel, id, MAIN_OBJECT, 0, undefined);
  }

  /** The reserved object actions, mapped onto libqi's built-in members. */
  private reserved(action: number, args: unknown[]): Promise<unknown> {
    switch (action) {
      case ObjectAction.registerEvent:
        return this.subscribe(this.eventId(args));
      case ObjectAction.unregisterEvent:
        return this.unsubscribe(this.eventId(args));
      case ObjectAction.metaObject:
        return Promise.resolve(this.bridged.metaObject);
      case ObjectAction.property:
        return this.service.property(this.propertyName(args[0])).get();
      case ObjectAction.setProperty:
        if (args.length !== 2) throw new BadArgumentsError('setProperty takes (propertyId, value)');
        return this.service.property(this.propertyName(args[0])).set(args[1]);
      case ObjectAction.properties:
        return this.properties();
      default:
        throw new NoSuchMemberError(`reserved action ${action} is not served`);
    }
  }

  private async properties(): Promise<Record<string, unknown>> {
    const names = [...this.bridged.properties.values()];
    const values = await Promise.all(names.map((name) => this.service.property(name).get()));
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  }

  private async subscribe(memberId: number): Promise<void> {
    if (this.listeners.has(memberId)) return;
    const limit = this.client.maxSubscriptions;
    if (this.client.subscriptions >= limit) throw new LimitExceededError(`too many subscriptions on this link (limit ${limit})`);
    const listener: LibqiSignalListener = (...args) => this.sendEvent(memberId, args);
    this.listeners.set(memberId, listener);
    this.client.subscriptions++;
    try {
      await this.service.on(this.bridged.events.get(memberId)!, listener);
    } catch (err) {
      if (this.listeners.get(memberId) === listener) {
        this.listeners.delete(memberId);
        this.client.subscriptions--;
      }
      throw err;
    }
  }

  private async unsubscribe(memberId: number): Promise<void> {
    const listener = this.listeners.get(memberId);
    if (!listener) return;
    this.listeners.delete(memberId);
    this.client.subscriptions--;
    await this.service.off(this.bridged.events.get(memberId)!, listener);
  }

  private sendEvent(memberId: number, args: unknown[]): void {
    if (this.ended || this.client.isClosed) return;
    let body: unknown;
    try {
      body = toCborValue(args);
    } catch {
      // An event carrying an object reference: nothing a client could read; the objects are released.
      this.service.release(objectRefsIn(args));
      return;
    }
    this.events++;
    this.client.send(MessageType.Event, this.channel, 0, MAIN_OBJECT, memberId, body);
  }

  /**
   * Replies with a value the client can read. An object a method returned goes, to a client that announced
   * `features.objects`, as a channel of its own: a Reply flagged OBJECT_RESULT whose body is that channel's bind
   * reply. To any other client it is released at once and refused with RemoteError, as it is past the link's share
   * of bindings (LimitExceeded).
   */
  private sendReply(id: number, object: number, action: number, value: unknown): void {
    if (!(value instanceof LibqiServiceClient)) {
      let body: unknown;
      try {
        body = toCborValue(value);
      } catch (err) {
        // Objects inside the value cannot cross: released at the service, the call refused (RemoteError).
        this.service.release(objectRefsIn(value));
        throw err;
      }
      this.client.reply(this.channel, id, object, action, body);
      return;
    }
    const method = this.bridged.methods.get(action);
    if (!this.openObject || !this.client.peerAcceptsObjects || method === undefined) {
      void value.close().catch(() => undefined);
      throw new RemoteError('a libqi object (signature o) cannot be passed through the gateway to this client (it does not announce features.objects)');
    }
    // openObject releases the object itself when it cannot open its route.
    const reply = this.openObject(this, value, method.name);
    const frame = buildMessage(MessageType.Reply, this.channel, id, object, action, reply);
    setFrameFlags(frame, OBJECT_RESULT);
    this.client.sendFrame(frame);
  }

  private arguments(object: number, frame: Uint8Array): unknown[] {
    if (object !== MAIN_OBJECT) throw new NoSuchMemberError(`${this.name} has no object ${object}`);
    const body = decodeMessageBody(frame);
    if (!Array.isArray(body)) throw new BadArgumentsError('arguments must be a CBOR array');
    return body;
  }

  private eventId(args: unknown[]): number {
    const id = args[0];
    if (typeof id !== 'number' || !this.bridged.events.has(id)) throw new NoSuchMemberError(`${this.name} has no signal or property with id ${String(id)}`);
    return id;
  }

  private propertyName(id: unknown): string {
    const name = typeof id === 'number' ? this.bridged.properties.get(id) : undefined;
    if (name === undefined) throw new NoSuchMemberError(`${this.name} has no property with id ${String(id)}`);
    return name;
  }
}

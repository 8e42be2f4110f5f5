/**
 * A libqi object seen from a client: a service's main object, or an object a method returned (`o`). The method
 * names are those of qimessaging's ServiceClient (`call`, `post`, `with`, `on`, `off`, `property`, `close`), and
 * the object's own methods are defined on it too (`await zoo.echoInt32(5)`), so most code does not care which it got.
 *
 * Arguments are encoded by the chosen overload's parameter signature (member-resolution.ts), the reply decoded
 * by its return signature; the JS types are those of lib/protocol/libqi/value-codec.ts.
 */
import { abortError } from '../client/abort-error.js';
import { ClosedError, NoSuchMemberError, type QiError } from '../protocol/errors.js';
import { MessageType } from '../protocol/header.js';
import {
  BuiltinAction,
  decodeValue,
  LibqiObjectRef,
  parseSignature,
  typed,
  type LibqiMetaObject,
  type LibqiMetaProperty,
  type LibqiMetaSignal,
} from '../protocol/libqi/index.js';
import type { LibqiSocket } from './libqi-socket.js';
import { resolveCall } from './member-resolution.js';

export interface LibqiCallOptions {
  /** Aborting cancels the call at the service (a libqi Cancel); it rejects with CanceledError (TimeoutError for `AbortSignal.timeout`). */
  signal?: AbortSignal;
  /** Milliseconds before the call rejects with TimeoutError and is canceled at the service. */
  timeout?: number;
}

export type LibqiSignalListener = (...args: unknown[]) => void;

interface Subscription {
  listeners: Set<LibqiSignalListener>;
  /** Our link id, sent in registerEvent and unregisterEvent. */
  linkId: bigint;
  /** Settles once registerEvent was answered. */
  registered: Promise<void>;
}

/** What copies made by `with()` share: subscriptions and whether the object was closed. */
interface ObjectState {
  subscriptions: Map<number, Subscription>;
  closed: boolean;
}

let nextLinkId = 1n;

export class LibqiServiceClient {
  private readonly state: ObjectState;

  /** @internal Use `LibqiConnection.service(name)`. */
  constructor(
    private readonly socket: LibqiSocket,
    readonly serviceId: number,
    readonly objectId: number,
    readonly metaObject: LibqiMetaObject,
    /** The service's name (an object's: `service.method()`), for errors. */
    readonly name: string,
    private readonly options: LibqiCallOptions = {},
    state?: ObjectState,
  ) {
    this.state = state ?? { subscriptions: new Map(), closed: false };
    if (!state) defineMethods(this);
  }

  /**
   * Calls a method by name (or `name::(signature)` for one overload) and resolves with its decoded result.
   * Rejects with NoSuchMemberError, BadArgumentsError (no overload takes these arguments), RemoteError (the
   * service threw), CanceledError, TimeoutError, ConnectionLostError or ClosedError.
   */
  async call(method: string, ...args: unknown[]): Promise<unknown> {
    this.checkOpen();
    const { method: chosen, payload } = resolveCall(this.metaObject, this.name, method, args, this.socket.codec);
    const returnType = parseSignature(chosen.returnSignature);
    const { signal, timeout } = this.options;
    if (signal?.aborted) throw abortError(signal, `call to ${this.name}.${method}`);
    const { id, promise } = this.socket.sendPayload(this.serviceId, this.objectId, chosen.uid, payload, returnType);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => this.socket.cancel(this.serviceId, this.objectId, id, abortError(signal!, `call to ${this.name}.${method} canceled`));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(() => this.socket.cancel(this.serviceId, this.objectId, id, abortError(AbortSignal.abort(timeoutReason()), `call to ${this.name}.${method} took more than ${timeout} ms`)), timeout);
    }
    try {
      const result = await promise;
      return result instanceof LibqiObjectRef && returnType.kind === 'o' ? this.objectClient(result, `${this.name}.${chosen.name}()`) : result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    }
  }

  /** Sends a one-way call (a libqi Post): no answer, ever. Throws as `call` would for an unknown member or bad arguments. */
  post(method: string, ...args: unknown[]): void {
    this.checkOpen();
    const { method: chosen, payload } = resolveCall(this.metaObject, this.name, method, args, this.socket.codec);
    this.socket.sendPayload(this.serviceId, this.objectId, chosen.uid, payload, parseSignature('v'), MessageType.Post);
  }

  /** The same client with per-call options: `await zoo.with({ timeout: 500 }).call('sleep', 10_000)`. */
  with(options: LibqiCallOptions): LibqiServiceClient & Record<string, unknown> {
    const copy = new LibqiServiceClient(this.socket, this.serviceId, this.objectId, this.metaObject, this.name, { ...this.options, ...options }, this.state);
    defineMethods(copy);
    return copy as LibqiServiceClient & Record<string, unknown>;
  }

  /** Subscribes `listener` to a signal (or a property's changes); resolves once the service registered it. */
  async on(signal: string, listener: LibqiSignalListener): Promise<void> {
    this.checkOpen();
    const meta = this.findSignal(signal);
    let subscription = this.state.subscriptions.get(meta.uid);
    if (!subscription) {
      const linkId = nextLinkId++;
      const listeners = new Set<LibqiSignalListener>();
      const signature = parseSignature(meta.signature);
      this.socket.setEventHandler(this.serviceId, this.objectId, meta.uid, (payload, dynamic) => {
        const decoded = decodeValue(dynamic ? 'm' : signature, payload, this.socket.codec);
        const args = Array.isArray(decoded) && (dynamic || signature.kind === '(') ? decoded : [decoded];
        for (const each of [...listeners]) {
          // A listener's throw must cost neither its siblings nor the link (the socket closes on a handler's throw).
          try {
            each(...args);
          } catch {
            // Dropped: LibqiCallOptions has no onListenerError yet (see ClientOptions.onListenerError).
          }
        }
      });
      const registered = this.builtin(BuiltinAction.registerEvent, '(IIL)', [this.serviceId, meta.uid, linkId], 'L').then(() => undefined);
      subscription = { listeners, linkId, registered };
      this.state.subscriptions.set(meta.uid, subscription);
      registered.catch(() => {
        if (this.state.subscriptions.get(meta.uid) === subscription) this.dropSubscription(meta.uid);
      });
    }
    subscription.listeners.add(listener);
    await subscription.registered;
  }

  /** Removes a listener added with `on`; the last one unregisters the event at the service. */
  async off(signal: string, listener: LibqiSignalListener): Promise<void> {
    const meta = this.findSignal(signal);
    const subscription = this.state.subscriptions.get(meta.uid);
    if (!subscription || !subscription.listeners.delete(listener) || subscription.listeners.size > 0) return;
    this.dropSubscription(meta.uid);
    await subscription.registered.catch(() => {});
    if (!this.socket.isClosed) await this.builtin(BuiltinAction.unregisterEvent, '(IIL)', [this.serviceId, meta.uid, subscription.linkId], 'v');
  }

  /** A property: `get`, `set` (encoded by the property's own signature) and its changes with `on`. */
  property(name: string): LibqiProperty {
    const meta = [...this.metaObject.properties.values()].find((p) => p.name === name);
    if (!meta) throw new NoSuchMemberError(`${this.name} has no property '${name}'`);
    return new LibqiProperty(this, meta);
  }

  /**
   * Unsubscribes everything and, for an object a method returned, tells the service it is no longer used (a Post of
   * `terminate`, as libqi's client does). The link stays open for other clients. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state.closed) return;
    this.state.closed = true;
    const subscriptions = [...this.state.subscriptions];
    for (const [uid] of subscriptions) this.dropSubscription(uid);
    if (this.socket.isClosed) return;
    await Promise.allSettled(
      subscriptions.map(([uid, s]) => this.builtin(BuiltinAction.unregisterEvent, '(IIL)', [this.serviceId, uid, s.linkId], 'v')),
    );
    if (this.objectId !== 1) this.terminate(this.serviceId, this.objectId);
  }

  /**
   * Calls `listener` once when the link to the service closes (the service died, its host went away, or the
   * connection closed); calls in flight have already failed with ConnectionLost then. Returns a function that stops
   * listening.
   */
  onLinkClosed(listener: (reason: QiError) => void): () => void {
    return this.socket.onClose(listener);
  }

  /** True once the link to the service has closed. */
  get linkClosed(): boolean {
    return this.socket.isClosed;
  }

  /**
   * Releases objects the service sent on this link that no one will use (a bridge refusing a value that holds
   * them): a `terminate` Post to each, as `close()` sends for an object client.
   */
  release(refs: readonly LibqiObjectRef[]): void {
    if (this.socket.isClosed) return;
    for (const ref of refs) this.terminate(ref.serviceId, ref.objectId);
  }

  private terminate(serviceId: number, objectId: number): void {
    // libqi 4.0.5 sends the service id as terminate's argument (zoo-session #153).
    this.socket.send(serviceId, objectId, BuiltinAction.terminate, parseSignature('(I)'), [serviceId], parseSignature('v'), MessageType.Post);
  }

  /** @internal A built-in method of every libqi object (registerEvent, property, …), by its fixed id. */
  builtin(action: number, params: string, args: unknown[], returns: string): Promise<unknown> {
    return this.socket.send(this.serviceId, this.objectId, action, parseSignature(params), args, parseSignature(returns)).promise;
  }

  private objectClient(ref: LibqiObjectRef, name: string): LibqiServiceClient {
    return new LibqiServiceClient(this.socket, ref.serviceId, ref.objectId, ref.metaObject, name);
  }

  private findSignal(name: string): LibqiMetaSignal {
    const meta = [...this.metaObject.signals.values()].find((s) => s.name === name);
    if (!meta) throw new NoSuchMemberError(`${this.name} has no signal '${name}'`);
    return meta;
  }

  private dropSubscription(uid: number): void {
    this.state.subscriptions.delete(uid);
    this.socket.setEventHandler(this.serviceId, this.objectId, uid, undefined);
  }

  private checkOpen(): void {
    if (this.state.closed) throw new ClosedError(`client of ${this.name} closed`);
    if (this.socket.isClosed) throw closedSocketError(this.socket, this.name);
  }
}

/** A property of a libqi object. */
export class LibqiProperty {
  /** @internal Use `client.property(name)`. */
  constructor(
    private readonly owner: LibqiServiceClient,
    readonly meta: LibqiMetaProperty,
  ) {}

  get name(): string {
    return this.meta.name;
  }

  /** The value, decoded by its own signature (libqi's `property`, which answers a dynamic). */
  get(): Promise<unknown> {
    return this.owner.builtin(BuiltinAction.property, '(m)', [typed('I', this.meta.uid)], 'm');
  }

  /** Sets the value, encoded by the property's signature (libqi's `setProperty`). */
  async set(value: unknown): Promise<void> {
    await this.owner.builtin(BuiltinAction.setProperty, '(mm)', [typed('I', this.meta.uid), typed(this.meta.signature, value)], 'v');
  }

  /** Calls `listener` with each new value; resolves once watching. */
  on(listener: (value: unknown) => void): Promise<void> {
    return this.owner.on(this.meta.name, listener);
  }

  off(listener: (value: unknown) => void): Promise<void> {
    return this.owner.off(this.meta.name, listener);
  }
}

/** The reason `AbortSignal.timeout` would give, for a `timeout` option. */
function timeoutReason(): Error {
  const reason = new Error('timed out');
  reason.name = 'TimeoutError';
  return reason;
}

function closedSocketError(socket: LibqiSocket, name: string): QiError {
  return new ClosedError(`the link to ${name} at ${socket.remote} is closed`);
}

/** Each of the object's methods as an own function, unless its name is taken by the client's API. */
function defineMethods(client: LibqiServiceClient): void {
  for (const { name } of client.metaObject.methods.values()) {
    if (name in client) continue;
    Object.defineProperty(client, name, { value: (...args: unknown[]) => client.call(name, ...args), enumerable: true, configurable: true });
  }
}

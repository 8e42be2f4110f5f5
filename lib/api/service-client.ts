import type { Actor } from 'xstate';
import { clientMachine } from '../../actors/client.js';
import type { CallOptions, ClientChannel, SignalListener } from '../client/client-channel.js';
import type { MetaObject } from '../protocol/control.js';
import { ActorHandle } from './actor-handle.js';
import { endReason, onActorEnd } from './lifecycle.js';
import { RemoteProperty } from './remote-property.js';
import { signalIterator } from './signal-iterator.js';
import type {
  MethodArgs,
  MethodName,
  MethodResult,
  PropertyName,
  PropertyValue,
  RemoteMethods,
  SignalArgs,
  SignalName,
  UntypedService,
} from './service-types.js';

/**
 * A Client: bound to one service for its whole life. Obtain it with `connection.service(name)`; give the service's
 * type (`connection.service<typeof impl>('tts')`) for typed members, and call methods directly: `await tts.say('hi')`.
 *
 * ```ts
 * const calc = await conn.service('calc');
 * const sum = await calc.call('add', 2, 3);
 * ```
 */
export class ServiceClient<T = UntypedService> extends ActorHandle<typeof clientMachine> {
  private readonly channel: ClientChannel;
  private readonly options: CallOptions;

  /** @internal Use `Connection.service(name)`. */
  constructor(actor: Actor<typeof clientMachine>, channel: ClientChannel, options: CallOptions = {}) {
    super(actor);
    this.channel = channel;
    this.options = options;
  }

  /** The service's name, as bound. */
  get name(): string {
    return this.channel.serviceName;
  }

  /** The service's methods (with ids and arity), signals and properties, as received at bind. */
  get metaObject(): MetaObject {
    return this.channel.metaObject!;
  }

  /**
   * Calls a method and resolves with its result. Rejects with a typed error: `NoSuchMemberError`,
   * `BadArgumentsError`, `RemoteError` (the service threw), `ServiceGoneError`, `ConnectionLostError`,
   * `CanceledError`, `TimeoutError`, `ClosedError` (this client was closed).
   */
  call<K extends MethodName<T>>(method: K, ...args: MethodArgs<T, K>): Promise<MethodResult<T, K>> {
    return this.channel.call(method, args, this.options) as Promise<MethodResult<T, K>>;
  }

  /** Sends a one-way call: no answer, ever; a post to an unknown member is dropped by the service. */
  post<K extends MethodName<T>>(method: K, ...args: MethodArgs<T, K>): void {
    this.channel.post(method, args);
  }

  /**
   * The same client with per-call options: `await client.with({ timeout: 500, signal }).call('say', 'hi')`.
   * Aborting `signal` cancels the call at the service; `timeout` rejects with TimeoutError and cancels too.
   */
  with(options: CallOptions): ServiceProxy<T> {
    return withMethods(new ServiceClient<T>(this.actor, this.channel, { ...this.options, ...options }));
  }

  /** Subscribes `listener` to a signal; resolves once the subscription is in place at the service. */
  on<K extends SignalName<T>>(signal: K, listener: (...args: SignalArgs<T, K>) => void): Promise<void> {
    return this.channel.subscribe(signal, listener as SignalListener);
  }

  /** Removes a listener added with `on`; the last one ends the subscription at the service. */
  off<K extends SignalName<T>>(signal: K, listener: (...args: SignalArgs<T, K>) => void): Promise<void> {
    return this.channel.unsubscribe(signal, listener as SignalListener);
  }

  /**
   * The emissions of a signal as an async iterator: `for await (const [word] of tts.signal('spoke')) …`. The loop
   * ends on `break`, normally after `close()`, and by throwing the reason when the binding ends otherwise
   * (`ServiceGoneError`, `ConnectionLostError`).
   */
  signal<K extends SignalName<T>>(signal: K): AsyncIterableIterator<SignalArgs<T, K>> {
    return signalIterator(this.channel, signal, (listener) => onActorEnd(this.actor, () => listener(endReason(this.actor)))) as AsyncIterableIterator<
      SignalArgs<T, K>
    >;
  }

  /** A property of the service: `get`, `set` and watch its changes with `on`. */
  property<K extends PropertyName<T>>(name: K): RemoteProperty<PropertyValue<T, K>> {
    return new RemoteProperty<PropertyValue<T, K>>(this.channel, name, this.options);
  }

  /** Unbinds: pending calls fail with ClosedError; the connection stays open for other clients. Idempotent. */
  override close(): Promise<void> {
    return super.close();
  }
}

/** A client with the service's methods as its own: `await tts.say('hi')` (typed when the service type is given). */
export type ServiceProxy<T = UntypedService> = ServiceClient<T> & RemoteMethods<T>;

/**
 * Defines each of the service's methods on `client` as an own function, unless its name is taken by the client's
 * API (`call`, `on`, `close`, …): such a method stays reachable through `call(name, …)`.
 */
export function withMethods<T>(client: ServiceClient<T>): ServiceProxy<T> {
  for (const { name } of client.metaObject.methods) {
    if (name in client) continue;
    Object.defineProperty(client, name, {
      value: (...args: unknown[]) => (client.call as (method: string, ...rest: unknown[]) => Promise<unknown>)(name, ...args),
      enumerable: true,
    });
  }
  return client as ServiceProxy<T>;
}

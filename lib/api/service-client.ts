import type { Actor } from 'xstate';
import { clientMachine } from '../../actors/client.js';
import type { CallOptions, ClientChannel, SignalListener } from '../client/client-channel.js';
import type { MetaObject } from '../protocol/control.js';
import { ActorHandle } from './actor-handle.js';
import { endReason, onActorEnd } from './lifecycle.js';
import { RemoteProperty } from './remote-property.js';
import { signalIterator, type SignalIterator } from './signal-iterator.js';
import type {
  MethodArgs,
  MethodName,
  MethodResult,
  MethodShortcuts,
  PropertyName,
  PropertyValue,
  RemoteMethods,
  RemotePropertyOf,
  SignalArgs,
  SignalName,
  UntypedService,
} from './service-types.js';

/**
 * A Client: bound to one service for its whole life. Obtain it with `connection.service(name)`; give the service's
 * contract (`connection.service<Tts>('tts')`) for typed members. Every remote method is on `client.methods`
 * (`await leds.methods.on('FaceLeds')`); those whose names the client's own API does not use are also on the client
 * itself (`await tts.say('hi')`), and `call(name, …)` reaches any.
 *
 * ```ts
 * const calc = await conn.service('calc');
 * const sum = await calc.call('add', 2, 3);
 * ```
 */
export class ServiceClient<T = UntypedService> extends ActorHandle<typeof clientMachine> {
  // #private, not `private`: the method shortcuts skip every name the client has, and these must not be among them.
  readonly #channel: ClientChannel;
  readonly #options: CallOptions;
  #methods: { of: MetaObject; methods: RemoteMethods<T> } | undefined;

  /** @internal Use `Connection.service(name)`. */
  constructor(actor: Actor<typeof clientMachine>, channel: ClientChannel, options: CallOptions = {}) {
    super(actor);
    this.#channel = channel;
    this.#options = options;
  }

  /** The service's name, as bound. */
  get name(): string {
    return this.#channel.serviceName;
  }

  /** The service's methods (with ids and arity), signals and properties, as received at bind. */
  get metaObject(): MetaObject {
    return this.#channel.metaObject!;
  }

  /**
   * Every method of the service, as async functions, whatever its name: `await leds.methods.on('FaceLeds')`,
   * `await gripper.methods.close()`. An object of remote members only, with this client's call options.
   */
  get methods(): RemoteMethods<T> {
    const meta = this.metaObject;
    if (this.#methods?.of !== meta) this.#methods = { of: meta, methods: remoteMethods(this, meta) };
    return this.#methods.methods;
  }

  /**
   * Calls a method and resolves with its result. Rejects with a typed error: `NoSuchMemberError`,
   * `BadArgumentsError`, `RemoteError` (the service threw), `ServiceGoneError`, `ConnectionLostError`,
   * `CanceledError`, `TimeoutError`, `ClosedError` (this client was closed). A method that returns an object (a
   * robot's, through a libqi bridge: docs/PROTOCOL.md §5, Objects) resolves with a ServiceProxy of that object; type
   * it in a contract as `Promise<ServiceProxy<ObjectContract>>`. It ends with this client, or its link.
   */
  call<K extends MethodName<T>>(method: K, ...args: MethodArgs<T, K>): Promise<MethodResult<T, K>> {
    return this.#channel.call(method, args, this.#options) as Promise<MethodResult<T, K>>;
  }

  /** Sends a one-way call: no answer, ever; a post to an unknown member is dropped by the service. */
  post<K extends MethodName<T>>(method: K, ...args: MethodArgs<T, K>): void {
    this.#channel.post(method, args);
  }

  /**
   * The same client with per-call options: `await client.with({ timeout: 500, signal }).call('say', 'hi')`.
   * Aborting `signal` cancels the call at the service; `timeout` rejects with TimeoutError and cancels too.
   */
  with(options: CallOptions): ServiceProxy<T> {
    return withMethods(new ServiceClient<T>(this.actor, this.#channel, { ...this.#options, ...options }));
  }

  /** Subscribes `listener` to a signal; resolves once the subscription is in place at the service. */
  on<K extends SignalName<T>>(signal: K, listener: (...args: SignalArgs<T, K>) => void): Promise<void> {
    return this.#channel.subscribe(signal, listener as SignalListener);
  }

  /** Removes a listener added with `on`; the last one ends the subscription at the service. */
  off<K extends SignalName<T>>(signal: K, listener: (...args: SignalArgs<T, K>) => void): Promise<void> {
    return this.#channel.unsubscribe(signal, listener as SignalListener);
  }

  /**
   * The emissions of a signal as an async iterator: `for await (const [word] of tts.signal('spoke')) …`. The loop
   * ends on `break`, normally after `close()`, and by throwing the reason when the binding ends otherwise
   * (`ServiceGoneError`, `ConnectionLostError`). Await its `ready` to know the subscription is in place:
   * `const spoken = await tts.signal('spoke').ready`.
   */
  signal<K extends SignalName<T>>(signal: K): SignalIterator<SignalArgs<T, K>> {
    return signalIterator(this.#channel, signal, (listener) => onActorEnd(this.actor, () => listener(endReason(this.actor)))) as unknown as SignalIterator<
      SignalArgs<T, K>
    >;
  }

  /**
   * A property of the service: `get`, `set` and watch its changes with `on`. A read-only one (typed from a contract
   * with `ReadOnlyProperty<V>`) has no `set` in the types; untyped, `set` rejects with BadArguments.
   */
  property<K extends PropertyName<T>>(name: K): RemotePropertyOf<T, K> {
    return new RemoteProperty<PropertyValue<T, K>>(this.#channel, name, this.#options) as RemotePropertyOf<T, K>;
  }

  /** Unbinds: pending calls fail with ClosedError; the connection stays open for other clients. Idempotent. */
  override close(): Promise<void> {
    return super.close();
  }
}

/**
 * The names of the client's own API (`call`, `on`, `close`, `methods`, …, and Object's: `toString`, …). A remote
 * method with one of these names is reached through `client.methods` (or `call`), never on the client itself.
 */
export type ClientMemberName = keyof ServiceClient | keyof object | ObjectPrototypeLegacyName;
/** Names on Object.prototype that `keyof object` does not list. */
type ObjectPrototypeLegacyName = '__proto__' | '__defineGetter__' | '__defineSetter__' | '__lookupGetter__' | '__lookupSetter__';

/**
 * A client with the service's methods as its own where their names are free: `await tts.say('hi')`. A method named
 * like the client's API (`ClientMemberName`) is not among them, in the type as at run time: `leds.on` is the
 * client's `on`, the remote one `leds.methods.on`.
 */
export type ServiceProxy<T = UntypedService> = ServiceClient<T> & MethodShortcuts<T, ClientMemberName>;

/** Defines each of the service's methods whose name the client does not have as an own function of the client. */
export function withMethods<T>(client: ServiceClient<T>): ServiceProxy<T> {
  const methods = client.methods as Record<string, unknown>;
  for (const { name } of client.metaObject.methods) {
    // `in` sees the client's API, its prototypes' and Object.prototype's names: what ClientMemberName lists.
    if (name in client) continue;
    Object.defineProperty(client, name, { value: methods[name], enumerable: true });
  }
  return client as ServiceProxy<T>;
}

/** An object of the service's methods only (no prototype, so no name is taken), each calling through `client`. */
function remoteMethods<T>(client: ServiceClient<T>, meta: MetaObject): RemoteMethods<T> {
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = Object.create(null);
  const call = client.call.bind(client) as (method: string, ...args: unknown[]) => Promise<unknown>;
  for (const { name } of meta.methods) {
    Object.defineProperty(methods, name, { value: (...args: unknown[]) => call(name, ...args), enumerable: true });
  }
  return Object.freeze(methods) as RemoteMethods<T>;
}

import type { CallOptions, ClientChannel, SignalListener } from '../client/client-channel.js';

/** A read-only property seen from a typed client: no `set` (a `ReadOnlyProperty` of the contract). */
export type ReadOnlyRemoteProperty<V> = Omit<RemoteProperty<V>, 'set'>;

/** A service's property seen from a client. Every change is also a signal of the same name. */
export class RemoteProperty<V> {
  /** @internal Use `client.property(name)`. */
  constructor(
    private readonly channel: ClientChannel,
    readonly name: string,
    private readonly options: CallOptions,
  ) {}

  get(): Promise<V> {
    return this.channel.getProperty(this.name, this.options) as Promise<V>;
  }

  /** Sets the value; rejects with BadArgumentsError if the service refuses it (read-only, or not valid). */
  set(value: V): Promise<void> {
    return this.channel.setProperty(this.name, value, this.options);
  }

  /** Calls `listener` with each new value; resolves once watching. */
  on(listener: (value: V) => void): Promise<void> {
    return this.channel.subscribe(this.name, listener as SignalListener);
  }

  off(listener: (value: V) => void): Promise<void> {
    return this.channel.unsubscribe(this.name, listener as SignalListener);
  }
}

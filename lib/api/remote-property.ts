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

  /**
   * Calls `listener` with each new value; resolves once watching. With `{ current: true }`, it is first called with
   * the current value (unless a change arrived meanwhile, which is newer), before `on` resolves.
   */
  async on(listener: (value: V) => void, options: { current?: boolean } = {}): Promise<void> {
    if (!options.current) return this.channel.subscribe(this.name, listener as SignalListener);
    let changed = false;
    const noteChange: SignalListener = () => (changed = true);
    await this.channel.subscribe(this.name, noteChange);
    try {
      await this.channel.subscribe(this.name, listener as SignalListener);
      const value = await this.get();
      if (!changed) listener(value);
    } finally {
      await this.channel.unsubscribe(this.name, noteChange).catch(() => undefined);
    }
  }

  off(listener: (value: V) => void): Promise<void> {
    return this.channel.unsubscribe(this.name, listener as SignalListener);
  }
}

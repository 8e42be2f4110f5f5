import type { Actor } from 'xstate';
import { clientMachine } from '../../actors/client.js';
import type { ClientChannel } from '../client/client-channel.js';
import type { MetaObject } from '../protocol/control.js';
import { ActorHandle } from './actor-handle.js';

/**
 * A Client: bound to one service for its whole life. Obtain it with `connection.service(name)`.
 *
 * ```ts
 * const calc = await conn.service('calc');
 * const sum = await calc.call<number>('add', 2, 3);
 * ```
 */
export class ServiceClient extends ActorHandle<typeof clientMachine> {
  private readonly channel: ClientChannel;

  /** @internal Use `Connection.service(name)`. */
  constructor(actor: Actor<typeof clientMachine>, channel: ClientChannel) {
    super(actor);
    this.channel = channel;
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
   * `ClosedError` (this client was closed).
   */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.channel.call(method, args) as Promise<T>;
  }

  /** Unbinds: pending calls fail with ClosedError; the connection stays open for other clients. Idempotent. */
  override close(): Promise<void> {
    return super.close();
  }

}

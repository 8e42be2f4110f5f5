import type { Actor } from 'xstate';
import { clientMachine } from '../../actors/client.js';
import type { ClientChannel } from '../client/client-channel.js';
import type { MetaObject } from '../protocol/control.js';
import { closeActor } from './lifecycle.js';

/**
 * A Client: bound to one service for its whole life. Obtain it with `connection.service(name)`.
 *
 * ```ts
 * const calc = await conn.service('calc');
 * const sum = await calc.call<number>('add', 2, 3);
 * ```
 */
export class ServiceClient {
  /** The Client actor, for inspection and embedding. */
  readonly actor: Actor<typeof clientMachine>;
  private readonly channel: ClientChannel;
  private closing: Promise<void> | undefined;

  /** @internal Use `Connection.service(name)`. */
  constructor(actor: Actor<typeof clientMachine>, channel: ClientChannel) {
    this.actor = actor;
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
  close(): Promise<void> {
    this.closing ??= closeActor(this.actor);
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

import type { Actor } from 'xstate';
import { serviceMachine } from '../../actors/service.js';
import { restoreError, startActor } from '../actor-runtime.js';
import { describeMembers } from '../service/meta-object.js';
import { backoffPolicy, ROBOT_SIDE_MAX_DELAY_MS, type BackoffOptions } from '../session/backoff.js';
import { ServiceHost } from '../service/service-host.js';
import type { ServiceStats } from '../service/served-object.js';
import { ActorHandle } from './actor-handle.js';
import { closeActor, settled } from './lifecycle.js';
import { resolveOptions, type CommonOptions } from './options.js';
import type { Implementation } from './service-contract.js';

export interface ServiceOptions extends CommonOptions {
  /** Endpoints to listen on; default one private `memory://` endpoint. Use `tcp://127.0.0.1:0` for an ephemeral port. */
  listen?: string[];
  /** The ServiceDirectory's endpoint to register with; omit for a service reached only directly. */
  directory?: string;
  /**
   * When to register again after the directory link was lost: exponential backoff with jitter, for ever (default
   * from 100 ms doubling to 1 s, ±20%). The service keeps serving direct clients meanwhile.
   */
  reconnect?: BackoffOptions;
  /** @deprecated The first delay of `reconnect` (`reconnect.initialDelayMs`). */
  retryDelayMs?: number;
}

/**
 * A running service: the user's object served under a name. Methods are the object's functions; each returns a
 * value or a promise, and a throw reaches the caller as a `RemoteError` with its message.
 */
export class Service extends ActorHandle<typeof serviceMachine> {
  private readonly host: ServiceHost;

  /** @internal Use `createService`. */
  constructor(actor: Actor<typeof serviceMachine>, host: ServiceHost) {
    super(actor);
    this.host = host;
  }

  get name(): string {
    return this.host.name;
  }

  /** The endpoints listened on, with ephemeral ports resolved. */
  get endpoints(): string[] {
    return this.actor.getSnapshot().context.endpoints;
  }

  /** The id the directory gave this service, or null when not registered. */
  get serviceId(): number | null {
    return this.actor.getSnapshot().context.serviceId;
  }

  /** Counters: calls, posts, errors, dropped posts. */
  get stats(): Readonly<ServiceStats> {
    return this.host.object.stats;
  }

  /** Unregisters and closes every link; clients through a gateway see ServiceGone. Idempotent. */
  override close(): Promise<void> {
    return super.close();
  }

}

/**
 * Serves `implementation` as the service `name`: listens, registers with the directory when one is given, and
 * resolves once ready. Rejects with `ServiceAlreadyRegisteredError` if a live service has that name. Give the
 * service's contract, an interface shared with its clients, to have `implementation` checked against it:
 * `createService<Motion>('motion', impl)` (see `Implementation`).
 *
 * ```ts
 * const calc = await createService('calc', { add: (a: number, b: number) => a + b }, { directory: 'memory://sd' });
 * ```
 */
export async function createService<Contract extends object = never>(
  name: string,
  implementation: [Contract] extends [never] ? object : Implementation<Contract>,
  options: ServiceOptions = {},
): Promise<Service> {
  const { transports, inspect, logger, limits } = resolveOptions(options);
  const host = new ServiceHost(name, describeMembers(name, implementation), transports, limits);
  const actor = startActor(serviceMachine, {
    input: {
      name,
      host,
      listen: options.listen ?? ['memory://'],
      directory: options.directory ?? null,
      transports,
      dialOptions: limits,
      backoff: backoffPolicy({ maxDelayMs: ROBOT_SIDE_MAX_DELAY_MS, initialDelayMs: options.retryDelayMs, ...options.reconnect }),
    },
    inspect,
    logger,
    systemId: `service:${name}`,
  });
  const snapshot = await settled(actor, 'ready');
  if (!snapshot.matches('ready')) {
    await closeActor(actor);
    throw restoreError(snapshot.context.error, `service ${name} could not start`);
  }
  return new Service(actor, host);
}

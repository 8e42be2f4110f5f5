import type { Actor, AnyActorRef } from 'xstate';
import { clientMachine } from '../../actors/client.js';
import { connectionMachine } from '../../actors/connection.js';
import { startActor } from '../actor-runtime.js';
import { ClientChannel } from '../client/client-channel.js';
import type { Logger } from '../diagnostics.js';
import { DIRECTORY_NAME, type ServiceRecord } from '../directory/directory-client.js';
import type { DirectoryService } from '../directory/directory-service.js';
import { CanceledError, ClosedError, ServiceNotFoundError, TimeoutError, toQiError } from '../protocol/errors.js';
import type { LinkSession } from '../session/link-session.js';
import { ActorHandle } from './actor-handle.js';
import { closeActor, settled } from './lifecycle.js';
import { errorFromSummary, resolveOptions, type CommonOptions } from './options.js';
import { ServiceClient, withMethods, type ServiceProxy } from './service-client.js';
import type { UntypedService } from './service-types.js';

/** Options of one client (`connection.service(name, options)`). */
export interface ClientOptions {
  /** Default timeout of every call of this client, in ms; `client.with({ timeout })` overrides it. */
  timeout?: number;
  /** Called with whatever a signal listener throws; the listener's siblings and the link are unaffected. */
  onListenerError?: (error: unknown) => void;
}

export interface ConnectOptions extends CommonOptions {
  /** Aborting gives up the attempt: the link being opened is closed and `connect` rejects with ClosedError. */
  signal?: AbortSignal;
}

/**
 * One link to a Gateway (or straight to a Service), shared by any number of clients.
 *
 * ```ts
 * const conn = await connect('tcp://127.0.0.1:9559');
 * const echo = await conn.service('echo');
 * await echo.call('echo', 'hi');
 * await conn.close();
 * ```
 */
export class Connection extends ActorHandle<typeof connectionMachine> {
  /** The bound clients, by their actor (which tells its end through `startActor`'s `onEnd`). */
  private readonly clients = new Map<AnyActorRef, ServiceClient<unknown>>();
  private directoryClient: Promise<ServiceProxy<DirectoryService>> | undefined;
  private clientCount = 0;

  /** @internal Use `connect(url)`. */
  constructor(
    actor: Actor<typeof connectionMachine>,
    private readonly logger?: Logger,
  ) {
    super(actor);
  }

  /** The URL this connection was opened to. */
  get url(): string {
    return this.actor.getSnapshot().context.url;
  }

  /** True while the link is up. */
  get isOpen(): boolean {
    return this.actor.getSnapshot().matches('open');
  }

  /**
   * Binds a new Client to the service `name` and resolves once bound. Rejects with `ServiceNotFoundError` when
   * no such service is registered, or with the error that ended the connection. Give the service's type for a
   * typed client: `await conn.service<typeof tts>('tts')`; `options.timeout` is the client's default per call.
   */
  async service<T = UntypedService>(name: string, options: ClientOptions = {}): Promise<ServiceProxy<T>> {
    const session = this.openSession();
    const { onListenerError, ...defaults } = options;
    const logger = this.logger;
    const reportListenerError = onListenerError ?? ((error: unknown) => logger?.warn?.(`[qimessaging] a listener of ${name} threw`, error));
    const channel = new ClientChannel(session, name, defaults, reportListenerError);
    const actor = startActor(clientMachine, {
      input: { channel },
      parent: this.actor,
      systemId: `client:${++this.clientCount}:${name}`,
      logger,
      onEnd: (ended) => this.clients.delete(ended),
    });
    const client = new ServiceClient<T>(actor, channel);
    const snapshot = await settled(actor, 'bound').catch((err: unknown) => {
      channel.unbind();
      throw toQiError(err);
    });
    if (!snapshot.matches('bound')) {
      throw errorFromSummary(snapshot.context.error, `could not bind ${name}`);
    }
    // A client that ended in the meantime has already been forgotten.
    if (actor.getSnapshot().status === 'active') this.clients.set(actor, client as ServiceClient<unknown>);
    return withMethods(client);
  }

  /**
   * A client of the ServiceDirectory, bound on first use and shared: through a gateway it is the gateway's
   * directory, on a direct connection to a directory it is that directory.
   */
  directory(): Promise<ServiceProxy<DirectoryService>> {
    this.directoryClient ??= this.service<DirectoryService>(DIRECTORY_NAME);
    this.directoryClient.catch(() => (this.directoryClient = undefined));
    return this.directoryClient;
  }

  /** Every service registered in the directory, the directory itself included. */
  async services(): Promise<ServiceRecord[]> {
    return (await this.directory()).list();
  }

  /**
   * Resolves with the service's record once it is registered (at once if it is). Rejects with CanceledError when
   * `signal` aborts, TimeoutError after `timeout` ms, or the error that ends the connection.
   */
  async waitForService(name: string, options: { signal?: AbortSignal; timeout?: number } = {}): Promise<ServiceRecord> {
    const directory = await this.directory();
    return new Promise<ServiceRecord>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        watch.unsubscribe();
        void directory.off('serviceAdded', onAdded);
        outcome();
      };
      const lookUp = (): void => {
        directory.lookup(name).then(
          (record) => settle(() => resolve(record)),
          (err: unknown) => {
            if (!(err instanceof ServiceNotFoundError)) settle(() => reject(err));
          },
        );
      };
      const onAdded = (added: string): void => {
        if (added === name) lookUp();
      };
      const onAbort = (): void => settle(() => reject(new CanceledError(`stopped waiting for ${name}`)));
      // The directory binding ending (connection lost, directory gone) ends the wait with its error.
      const ended = (): void => settle(() => reject(errorFromSummary(directory.actor.getSnapshot().context.error, 'the directory binding ended')));
      const watch = directory.actor.subscribe({ complete: ended, error: ended });
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeout !== undefined) {
        timer = setTimeout(() => settle(() => reject(new TimeoutError(`${name} did not register within ${options.timeout} ms`))), options.timeout);
      }
      // Subscribe first, then look up: a registration in between is seen by one or the other.
      directory.on('serviceAdded', onAdded).then(lookUp, (err: unknown) => settle(() => reject(err)));
    });
  }

  /** Closes every client, then the link. Pending calls fail with ClosedError. Idempotent. */
  override close(): Promise<void> {
    return super.close();
  }

  protected override async shutDown(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
    await closeActor(this.actor);
  }


  private openSession(): LinkSession {
    const snapshot = this.actor.getSnapshot();
    if (!snapshot.matches('open') || !snapshot.context.session) {
      throw snapshot.context.error ? errorFromSummary(snapshot.context.error, '') : new ClosedError(`connection to ${this.url} is closed`);
    }
    return snapshot.context.session;
  }
}

/**
 * Opens a connection to a Gateway or a Service endpoint (`memory://name`, `tcp://host:port`, …) and resolves once
 * the handshake is done. Rejects with `TransportError` (bad URL, unknown scheme, refused), `TimeoutError` or
 * `ProtocolError`.
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<Connection> {
  const { transports, inspect, logger, limits } = resolveOptions(options);
  const { handshakeTimeoutMs, ...sessionOptions } = limits;
  const actor = startActor(connectionMachine, {
    input: { url, transports, handshakeTimeoutMs, sessionOptions },
    inspect,
    logger,
    systemId: 'connection',
  });
  const abort = (): void => actor.send({ type: 'CLOSE' });
  options.signal?.addEventListener('abort', abort, { once: true });
  if (options.signal?.aborted) abort();
  const snapshot = await settled(actor, 'open').finally(() => options.signal?.removeEventListener('abort', abort));
  if (!snapshot.matches('open')) {
    if (snapshot.matches('closed')) throw new ClosedError(`connection to ${url} aborted`);
    throw errorFromSummary(snapshot.context.error, `could not connect to ${url}`);
  }
  return new Connection(actor, logger);
}

import type { Actor } from 'xstate';
import { clientMachine } from '../../actors/client.js';
import { connectionMachine } from '../../actors/connection.js';
import { restoreError, startActor } from '../actor-runtime.js';
import { ClientChannel } from '../client/client-channel.js';
import type { Logger } from '../diagnostics.js';
import { DIRECTORY_NAME, type ServiceRecord } from '../directory/directory-client.js';
import type { DirectoryService } from '../directory/directory-service.js';
import { CanceledError, ClosedError, ServiceNotFoundError, TimeoutError, toQiError } from '../protocol/errors.js';
import { Session } from '../session/session.js';
import { ActorHandle } from './actor-handle.js';
import { onActorEnd, settled } from './lifecycle.js';
import { resolveOptions, type CommonOptions } from './options.js';
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
    const session = this.session();
    const { onListenerError, ...defaults } = options;
    const logger = this.logger;
    const reportListenerError = onListenerError ?? ((error: unknown) => logger?.warn?.(`[qimessaging] a listener of ${name} threw`, error));
    const channel = new ClientChannel(session, name, defaults, reportListenerError);
    const actor = startActor(clientMachine, {
      input: { channel },
      parent: this.actor,
      systemId: `client:${++this.clientCount}:${name}`,
      logger,
    });
    const client = new ServiceClient<T>(actor, channel);
    const snapshot = await settled(actor, 'bound').catch((err: unknown) => {
      channel.unbind();
      throw toQiError(err);
    });
    if (!snapshot.matches('bound')) {
      throw restoreError(snapshot.context.error, `could not bind ${name}`);
    }
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
        stopWatching();
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
      const ended = (): void => settle(() => reject(restoreError(directory.actor.getSnapshot().context.error, 'the directory binding ended')));
      const stopWatching = onActorEnd(directory.actor, ended);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeout !== undefined) {
        timer = setTimeout(() => settle(() => reject(new TimeoutError(`${name} did not register within ${options.timeout} ms`))), options.timeout);
      }
      // Subscribe first, then look up: a registration in between is seen by one or the other.
      directory.on('serviceAdded', onAdded).then(lookUp, (err: unknown) => settle(() => reject(err)));
    });
  }

  /**
   * Closes the link: every client ends (its pending calls fail with ClosedError), since they all live in its
   * session. Idempotent.
   */
  override close(): Promise<void> {
    return super.close();
  }

  private session(): Session {
    const snapshot = this.actor.getSnapshot();
    if (!snapshot.matches('open')) {
      throw snapshot.context.error ? restoreError(snapshot.context.error) : new ClosedError(`connection to ${this.url} is closed`);
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
  // The session outlives its link: the Connection decides what a lost link means.
  const session = new Session('initiator', { ...limits, outlivesLink: true });
  const actor = startActor(connectionMachine, {
    input: { url, transports, session, maxBodySize: limits.maxBodySize },
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
    throw restoreError(snapshot.context.error, `could not connect to ${url}`);
  }
  return new Connection(actor, logger);
}

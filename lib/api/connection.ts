import type { Actor } from 'xstate';
import { clientMachine } from '../../actors/client.js';
import { connectionMachine } from '../../actors/connection.js';
import { restoreError, startActor } from '../actor-runtime.js';
import { abortError } from '../client/abort-error.js';
import { ClientChannel } from '../client/client-channel.js';
import type { Logger } from '../diagnostics.js';
import { DIRECTORY_NAME, type ServiceRecord } from '../directory/directory-client.js';
import type { DirectoryService } from '../directory/directory-service.js';
import type { LibqiConnectOptions } from '../libqi/libqi-connection.js';
import { ClosedError, QiError, ServiceNotFoundError, TimeoutError, toQiError, UnauthorizedError } from '../protocol/errors.js';
import { backoffDelay, backoffPolicy, type BackoffOptions } from '../session/backoff.js';
import { Session } from '../session/session.js';
import type { ServiceLoad, TraceEvent } from '../gateway/call-tracer.js';
import { GATEWAY_MONITOR_NAME, type GatewayMonitorService } from '../gateway/gateway-monitor.js';
import { ActorHandle } from './actor-handle.js';
import { traceCalls, watchLoad, type TrafficOptions } from './gateway-traffic.js';
import { onActorEnd, settled } from './lifecycle.js';
import { resolveOptions, type CommonOptions } from './options.js';
import { platformLibqiBridge, type InProcessBridge } from './platform-defaults.js';
import { ServiceClient, withMethods, type ServiceProxy } from './service-client.js';
import type { UntypedService } from './service-types.js';

/** Options of one client (`connection.service(name, options)`). */
export interface ClientOptions {
  /** Default timeout of every call of this client, in ms; `client.with({ timeout })` overrides it. */
  timeout?: number;
  /** Called with whatever a signal listener throws; the listener's siblings and the link are unaffected. */
  onListenerError?: (error: unknown) => void;
  /**
   * When the service goes away (ServiceGone, or not found when binding again after a reconnection): `'end'`
   * (default) ends this client with ServiceGone; `'wait'` keeps it suspended and binds again, on the
   * connection's backoff, until the service is back: calls made meanwhile wait as while reconnecting.
   */
  whenServiceGone?: 'end' | 'wait';
}

export interface ReconnectOptions extends BackoffOptions {
  /**
   * Calls made while reconnecting wait for the link, up to their own timeout, at most this many per client
   * (default 1,000; beyond, LimitExceeded). 0 fails them at once with ConnectionLost.
   */
  maxWaitingCalls?: number;
}

export interface ConnectOptions extends CommonOptions {
  /**
   * Aborting gives up the attempt: the link being opened is closed and `connect` rejects with CanceledError, or
   * TimeoutError when the signal timed out (`AbortSignal.timeout(ms)`), as a call does.
   */
  signal?: AbortSignal;
  /**
   * How to come back after the link is lost: exponential backoff with jitter (default: from 100 ms, doubling, at
   * most 5 s apart, ±20%, for ever). Calls in flight when the link drops fail with ConnectionLost, never resent;
   * clients bind again by themselves once the link is back. `false`: a lost link ends the connection.
   */
  reconnect?: ReconnectOptions | false;
  /** Keep trying when the first connect fails (a gateway not up yet), with the same backoff (default false). */
  retry?: boolean;
  /** Gives up `connect` after this many ms, with TimeoutError (default: no limit beyond the handshake's). */
  timeout?: number;
  /**
   * `url` is a libqi ServiceDirectory, not a qimessaging peer: a NAOqi robot (`tcp://nao.local:9559`; NAOqi 2.9
   * `tcps://nao.local:9503`) or the kit's `qi_sd`. `true`, or how to reach it: `{ credentials: { user, token } }`,
   * `tls`, `connectTimeout`. The connection then binds the robot's services through a gateway bridge in this
   * process (docs/PROTOCOL.md §11), so its clients are ServiceClients as through any gateway: typed, rebinding,
   * with signal iterators; a method returning an object (`o`, NAOqi's `ALMemory.subscriber`) gives a ServiceClient
   * of it. Node only. For libqi's own client (libqi's value types, no CBOR hop), see `connectLibqi`.
   */
  libqi?: LibqiConnectOptions | true;
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
    private readonly maxWaitingCalls = 1_000,
    /** With the `libqi` option: the in-process bridge this connection dials and owns, and the robot's URL. */
    private readonly bridge?: { url: string; bridge: InProcessBridge },
  ) {
    super(actor);
  }

  /** The URL this connection was opened to (with `libqi`, the libqi directory's). */
  get url(): string {
    return this.bridge?.url ?? this.actor.getSnapshot().context.url;
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
    const session = await this.session();
    const { onListenerError, whenServiceGone = 'end', ...defaults } = options;
    const logger = this.logger;
    const reportListenerError = onListenerError ?? ((error: unknown) => logger?.warn?.(`[qimessaging] a listener of ${name} threw`, error));
    const awaitService = whenServiceGone === 'wait' ? (this.actor.getSnapshot().context.reconnect ?? backoffPolicy()) : undefined;
    const channel = new ClientChannel(session, name, defaults, reportListenerError, this.maxWaitingCalls, awaitService);
    const actor = startActor(clientMachine, {
      input: { channel },
      parent: this.actor,
      systemId: `client:${++this.clientCount}:${name}`,
      logger,
    });
    const client = new ServiceClient<T>(actor, channel);
    channel.adoptObject = (object) => this.objectClient(object);
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
   * The client of an object a method returned (docs/PROTOCOL.md §5, Objects): its channel is bound already, so its
   * actor's bind completes without a round trip. It ends with ServiceGone with its link or the binding that returned
   * it, and is not bound again; `close()` releases it at the far side.
   */
  private objectClient(channel: ClientChannel): ServiceProxy {
    const actor = startActor(clientMachine, {
      input: { channel },
      parent: this.actor,
      systemId: `client:${++this.clientCount}:${channel.serviceName}`,
      logger: this.logger,
    });
    return withMethods(new ServiceClient(actor, channel));
  }

  /**
   * A client of the ServiceDirectory, bound on first use and shared: through a gateway it is the gateway's
   * directory, on a direct connection to a directory it is that directory.
   */
  directory(): Promise<ServiceProxy<DirectoryService>> {
    if (this.directoryClient) return this.directoryClient;
    const client = this.service<DirectoryService>(DIRECTORY_NAME);
    this.directoryClient = client;
    const forget = (): void => {
      if (this.directoryClient === client) this.directoryClient = undefined;
    };
    // A binding that ended (the directory restarted behind a gateway) is not handed out again: the next call binds anew.
    client.then((bound) => onActorEnd(bound.actor, forget), forget);
    return client;
  }

  /** Every service registered in the directory, the directory itself included. */
  async services(): Promise<ServiceRecord[]> {
    return (await this.directory()).list();
  }

  /**
   * Resolves with the service's record once it is registered (at once if it is). Rejects with CanceledError when
   * `signal` aborts, TimeoutError after `timeout` ms or when `signal` times out, or the error that ends the
   * connection.
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
      const onAbort = (): void => settle(() => reject(abortError(options.signal!, `stopped waiting for ${name}`)));
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
   * The calls of `service` through the gateway this connection reaches, live, as the gateway sees them: each call,
   * reply, error, cancel and post, answers with their latency. Tracing costs the gateway nothing until someone
   * traces; it stops when the loop does (`break`), or at once when `options.signal` aborts. Throws
   * ServiceNotFoundError when the peer is not a gateway.
   *
   * ```ts
   * for await (const event of conn.trace('calc')) console.log(event.kind, event.method, event.latencyMs);
   * ```
   */
  trace(service: string, options: TrafficOptions = {}): AsyncGenerator<TraceEvent, void, undefined> {
    return traceCalls(() => this.service<GatewayMonitorService>(GATEWAY_MONITOR_NAME), service, options);
  }

  /**
   * The load on every service through the gateway this connection reaches, once a second: calls answered per
   * second and p50/p99 latency, as the gateway sees them (services without calls in the interval are left out).
   * Measured only while someone watches; `options.signal` ends the loop at once. Throws ServiceNotFoundError when
   * the peer is not a gateway.
   */
  load(options: TrafficOptions = {}): AsyncGenerator<ServiceLoad[], void, undefined> {
    return watchLoad(() => this.service<GatewayMonitorService>(GATEWAY_MONITOR_NAME), options);
  }

  /**
   * Closes the link: every client ends (its pending calls fail with ClosedError), since they all live in its
   * session. Idempotent.
   */
  override close(): Promise<void> {
    return super.close();
  }

  /** Closes the link, then (with `libqi`) the bridge and every libqi link it holds. */
  protected override async shutDown(): Promise<void> {
    await super.shutDown();
    await this.bridge?.bridge.close();
  }

  /** The session, once the link is up: at once when open, after the reconnection when reconnecting. */
  private async session(): Promise<Session> {
    let snapshot = this.actor.getSnapshot();
    if (snapshot.matches('reconnecting')) snapshot = await settled(this.actor, 'open');
    if (!snapshot.matches('open')) {
      throw snapshot.context.error ? restoreError(snapshot.context.error) : new ClosedError(`connection to ${this.url} is closed`);
    }
    return snapshot.context.session;
  }
}

/**
 * Opens a connection to a Gateway or a Service endpoint (`memory://name`, `tcp://host:port`, …) and resolves once
 * the handshake is done; with the `libqi` option, to a libqi ServiceDirectory (a NAOqi robot). Rejects with
 * `TransportError` (bad URL, unknown scheme, refused), `TimeoutError`, `ProtocolError`, or `UnauthorizedError`
 * (credentials refused).
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<Connection> {
  const resolved = resolveOptions(options);
  const { inspect, logger, limits } = resolved;
  let transports = resolved.transports;
  const { reconnect = {}, retry = false, timeout } = options;
  let timedOut = false;
  const aborter = new AbortController();
  const abort = (): void => aborter.abort();
  const timer = timeout === undefined ? undefined : setTimeout(() => ((timedOut = true), abort()), timeout);
  options.signal?.addEventListener('abort', abort, { once: true });
  if (options.signal?.aborted) abort();
  const cleanUp = (): void => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
  };
  const failure = (error: unknown): unknown => {
    if (timedOut) return new TimeoutError(`could not connect to ${url} within ${timeout} ms`, error instanceof QiError ? { code: error.code, message: error.message } : error);
    if (options.signal?.aborted) return abortError(options.signal, `connect to ${url} was canceled`);
    return error;
  };
  let bridge: InProcessBridge | undefined;
  let target = url;
  if (options.libqi !== undefined) {
    try {
      bridge = await startLibqiBridge(url, options, resolved, aborter.signal);
    } catch (err) {
      cleanUp();
      throw failure(err);
    }
    target = bridge.url;
    transports = bridge.transports;
  }
  // The session outlives its link: the Connection decides what a lost link means.
  const session = new Session('initiator', { ...limits, outlivesLink: true, acceptsObjects: true });
  const actor = startActor(connectionMachine, {
    input: {
      url: target,
      transports,
      session,
      maxBodySize: limits.maxBodySize,
      reconnect: reconnect === false ? null : backoffPolicy(reconnect),
      retryFirstConnect: retry,
    },
    inspect,
    logger,
    systemId: 'connection',
  });
  aborter.signal.addEventListener('abort', () => actor.send({ type: 'CLOSE' }), { once: true });
  if (aborter.signal.aborted) actor.send({ type: 'CLOSE' });
  const snapshot = await settled(actor, 'open').finally(cleanUp);
  if (!snapshot.matches('open')) {
    await bridge?.close();
    if (timedOut || options.signal?.aborted) throw failure(snapshot.context.error ?? undefined);
    if (snapshot.matches('closed')) throw new ClosedError(`connection to ${url} aborted`);
    throw restoreError(snapshot.context.error, `could not connect to ${url}`);
  }
  // However the connection ends, the bridge goes with it.
  if (bridge) onActorEnd(actor, () => void bridge.close());
  return new Connection(actor, logger, reconnect === false ? 0 : reconnect.maxWaitingCalls, bridge && { url, bridge });
}

/**
 * With the `libqi` option: starts the in-process bridge the connection dials instead of `url` (the platform's, see
 * platform-defaults.ts); with `retry`, again on the `reconnect` backoff until it starts (a credentials refusal is
 * not retried). When `signal` aborts, rejects at once, and a bridge that starts later is closed.
 */
async function startLibqiBridge(url: string, options: ConnectOptions, resolved: ReturnType<typeof resolveOptions>, signal: AbortSignal): Promise<InProcessBridge> {
  const libqi = options.libqi === true || options.libqi === undefined ? {} : options.libqi;
  const start = platformLibqiBridge();
  // Only the bounds of what it carries: the link is in-process, and `credentials` / `authenticate` are this side's.
  const { maxBodySize, maxPendingCalls, maxCallsInFlightPerBinding, maxSubscriptionsPerLink } = resolved.limits;
  const bridgeOptions = { maxBodySize, maxPendingCalls, maxCallsInFlightPerBinding, maxSubscriptionsPerLink, inspect: resolved.inspect, logger: resolved.logger };
  const retry = options.retry && options.reconnect !== false ? backoffPolicy(options.reconnect) : undefined;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw new ClosedError('connect aborted');
    const starting = start(url, { transports: options.transports, ...libqi }, bridgeOptions);
    let error: unknown;
    try {
      return await untilAborted(starting, signal);
    } catch (err) {
      error = err;
    }
    if (!retry || signal.aborted || error instanceof UnauthorizedError || attempt >= retry.maxAttempts) throw error;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(sleeping);
        resolve();
      };
      const sleeping = setTimeout(() => {
        signal.removeEventListener('abort', wake);
        resolve();
      }, backoffDelay(retry, attempt));
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

function untilAborted(starting: Promise<InProcessBridge>, signal: AbortSignal): Promise<InProcessBridge> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      reject(new ClosedError('connect aborted'));
      starting.then((late) => late.close(), () => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    starting.then(
      (bridge) => {
        signal.removeEventListener('abort', onAbort);
        resolve(bridge);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

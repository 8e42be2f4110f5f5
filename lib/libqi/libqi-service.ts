/**
 * A qimessaging service served to libqi clients and registered with a libqi ServiceDirectory (a NAOqi robot's,
 * the kit's `qi_sd`):
 *
 * ```ts
 * const echo = await createLibqiService('Echo', {
 *   echo: withSignature('(s)->s', (text: string) => text),
 *   pinged: withSignature('(s)', signal<[string]>()),
 * }, { directory: 'tcp://127.0.0.1:9559' });
 * …
 * await echo.close();   // unregisters, stops listening
 * ```
 *
 * The implementation object is the one `createService` serves natively (methods, `signal()`, `property()`,
 * `withContext`, `withArity`); `withSignature` or the `signatures` option give libqi clients exact types
 * (libqi-signatures.ts). The service listens with libqi's protocol (version 0) on its own endpoint, since libqi
 * clients call a service directly, then registers there as libqi does: `registerService(ServiceInfo)` and
 * `serviceReady(id)`; `close()` calls `unregisterService(id)`.
 *
 * A lost directory link (the robot's ServiceDirectory restarted, the network dropped) is opened again on a backoff
 * and the service registered again, under whatever id the directory gives it now; links opened before go on with
 * the id they knew.
 */
import { randomUUID } from 'node:crypto';
import { toQiError, type QiError } from '../protocol/errors.js';
import { LibqiAddress } from '../protocol/libqi/index.js';
import { backoffDelay, backoffPolicy, ROBOT_SIDE_MAX_DELAY_MS, type BackoffOptions } from '../session/backoff.js';
import type { TlsTransportOptions } from '../transports/tls.js';
import type { Listener } from '../transports/transport.js';
import { connectLibqi, type LibqiConnection, type LibqiServiceInfo } from './libqi-connection.js';
import { LibqiLinkAdmission, type LibqiLinkLimits } from './libqi-link-admission.js';
import { listenLibqi, localMachineId } from './libqi-local.js';
import { buildLibqiObjectTable, type LibqiSignatureMap } from './libqi-object-table.js';
import { serveLinks, type LibqiServedLink, type LibqiServedLinkHost } from './libqi-served-link.js';
import { LibqiServedObject } from './libqi-served-object.js';
import type { LibqiAuthenticator } from './libqi-server-auth.js';
import type { LibqiAuthOptions } from './libqi-socket.js';

export interface LibqiServiceOptions extends LibqiAuthOptions, LibqiLinkLimits {
  /** The libqi ServiceDirectory to register with: `tcp://robot:9559`, `tcps://…`. `credentials` authenticate there. */
  directory: string;
  /** Where libqi clients reach the service (default `tcp://127.0.0.1:0`, a free port); `tcps://` needs `tls.cert` and `tls.key`. */
  listen?: string;
  /** The endpoints put in the ServiceInfo (default the one listened on, its port resolved). */
  endpoints?: string[];
  /** Member signatures by name, for members not wrapped in `withSignature`. */
  signatures?: LibqiSignatureMap;
  /** The meta-object's description. */
  description?: string;
  /** TLS for a `tcps://` directory and a `tcps://` listener. */
  tls?: TlsTransportOptions;
  /**
   * The ServiceInfo's machineId: a libqi client whose own id it is prefers the service's loopback endpoints, any
   * other tries them all. Default: libqi's id for this machine and user (libqi-local.ts), else a random one.
   */
  machineId?: string;
  /**
   * Requires libqi clients of the service to authenticate (libqi-server-auth.ts), e.g.
   * `libqiTokenAuthenticator({ alice: 's3cret' })`. Default: none asked, as libqi without an AuthProvider.
   */
  authenticate?: LibqiAuthenticator;
  /** Milliseconds the directory link may take to open and authenticate (default 10 s). */
  connectTimeout?: number;
  /**
   * When the directory link is lost: register again on this backoff (default from 100 ms doubling to 1 s, ±20%,
   * for ever), or `false` to stay unregistered (clients already linked go on either way).
   */
  reregister?: BackoffOptions | false;
}

/** Earlier registration ids a service still answers to on links opened under them. */
const MAX_FORMER_IDS = 16;


/** Serves `implementation` as the libqi service `name` and registers it; resolves once `serviceReady` was answered. */
export async function createLibqiService(name: string, implementation: object, options: LibqiServiceOptions): Promise<LibqiService> {
  const table = buildLibqiObjectTable(implementation, options.signatures, options.description);
  const service = new LibqiService(name, new LibqiServedObject(table, LibqiAddress.mainObject), options.authenticate);
  try {
    await service.start(options);
  } catch (err) {
    await service.close();
    throw err;
  }
  return service;
}

export class LibqiService implements LibqiServedLinkHost {
  /** The id its directory gave it; undefined from the loss of the directory link until it is registered again. */
  serviceId: number | undefined;
  readonly formerServiceIds = new Set<number>();
  /** The endpoints registered in the ServiceInfo. */
  endpoints: string[] = [];
  /** Times the service registered again after losing its directory link. */
  reregistrations = 0;
  /** Why the last attempt to register again failed; undefined once registered. */
  directoryError: QiError | undefined;
  private listener: Listener | undefined;
  private connection: LibqiConnection | undefined;
  private options: LibqiServiceOptions | undefined;
  private readonly links = new Set<LibqiServedLink>();
  /** Bounds the links libqi clients hold open to this service (`maxLinks`, `maxLinksPerAddress`). */
  admission = new LibqiLinkAdmission();
  private objectIds = LibqiAddress.mainObject;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private closed = false;

  /** @internal Use `createLibqiService`. */
  constructor(
    readonly name: string,
    readonly mainObject: LibqiServedObject,
    readonly authenticate?: LibqiAuthenticator,
  ) {}

  /** The directory this service is registered with, as a libqi client. */
  get directory(): LibqiConnection | undefined {
    return this.connection;
  }

  nextObjectId(): number {
    return ++this.objectIds;
  }

  /** @internal */
  async start(options: LibqiServiceOptions): Promise<void> {
    this.options = options;
    this.admission = new LibqiLinkAdmission(options);
    this.listener = await listenLibqi(
      options.listen ?? 'tcp://127.0.0.1:0',
      options.tls,
      serveLinks(this, this.links),
      this.admission,
    );
    this.endpoints = options.endpoints ?? [this.listener.url];
    await this.register();
  }

  /** Unregisters (when registered), closes the directory link, stops listening and closes the clients' links. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.connection && this.serviceId !== undefined) await this.connection.directory.call('unregisterService', this.serviceId).catch(() => undefined);
    await this.connection?.close();
    await this.listener?.close();
    for (const served of this.links) served.link.close();
    this.mainObject.close();
  }

  /** Opens the directory link, registers, says ready, and watches the link for its loss. */
  private async register(): Promise<void> {
    const options = this.options!;
    const connection = await connectLibqi(options.directory, {
      credentials: options.credentials,
      answerChallenge: options.answerChallenge,
      tls: options.tls,
      connectTimeout: options.connectTimeout,
    });
    if (this.closed) {
      await connection.close();
      return;
    }
    this.connection = connection;
    const directory = connection.directory;
    const info: LibqiServiceInfo = {
      name: this.name,
      serviceId: 0,
      machineId: options.machineId ?? localMachineId(),
      processId: process.pid,
      endpoints: this.endpoints,
      sessionId: randomUUID(),
      objectUid: this.mainObject.ptrUid,
    };
    try {
      const id = (await directory.call('registerService', info)) as number;
      await directory.call('serviceReady', id);
      if (this.serviceId !== undefined && this.serviceId !== id) this.keepFormerId(this.serviceId);
      this.serviceId = id;
    } catch (err) {
      await connection.close();
      throw err;
    }
    directory.onLinkClosed(() => this.directoryLost(connection));
  }

  private keepFormerId(id: number): void {
    this.formerServiceIds.delete(id);
    this.formerServiceIds.add(id);
    if (this.formerServiceIds.size > MAX_FORMER_IDS) this.formerServiceIds.delete(this.formerServiceIds.values().next().value!);
  }

  private directoryLost(connection: LibqiConnection): void {
    void connection.close();
    if (this.closed || this.connection !== connection) return;
    // Registered nowhere now: the id was the lost directory's, and a restarted one may give it to another service
    // (which `close` would then unregister). Links opened under it still use it.
    if (this.serviceId !== undefined) this.keepFormerId(this.serviceId);
    this.serviceId = undefined;
    if (this.options?.reregister === false) return;
    this.attempts = 0;
    this.scheduleRegister();
  }

  private scheduleRegister(): void {
    const policy = backoffPolicy({ maxDelayMs: ROBOT_SIDE_MAX_DELAY_MS, ...(this.options?.reregister || {}) });
    if (++this.attempts > policy.maxAttempts) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.register().then(
        () => {
          if (this.closed) return;
          this.reregistrations++;
          this.directoryError = undefined;
        },
        (err: unknown) => {
          this.directoryError = toQiError(err);
          if (!this.closed) this.scheduleRegister();
        },
      );
    }, backoffDelay(policy, this.attempts));
  }
}

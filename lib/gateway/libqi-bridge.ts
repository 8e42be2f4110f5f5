/**
 * A gateway's libqi side: the link to a libqi ServiceDirectory (a NAOqi robot's `tcp://robot:9559`, the kit's
 * `qi_sd`) and the bindings qimessaging clients make through it to its services (createGateway's
 * `libqiDirectory` option; docs/PROTOCOL.md §11, "The Gateway as a bridge").
 *
 * A bind of name N resolves N with the LibqiConnection (its ServiceInfo, then a direct link to the service's
 * endpoint, one per endpoint however many bindings use it), fetches its meta-object, and opens a LibqiRoute on the
 * client's link that translates CBOR ⇄ libqi for that binding. Each binding has its own LibqiServiceClient (so its
 * subscriptions are its own, and are dropped with it). An object a bridged method returns (`o`) gets a route of its
 * own on the client's link, counted as one of its bindings and ended with the binding that returned it
 * (`openObject`; docs/PROTOCOL.md §5, Objects). libqi's own `ServiceDirectory` is not bridged (its
 * registerService would let a client register services on the gateway's behalf): a bind of that name, which a
 * gateway without a qimessaging directory passes here, gets a read-only qimessaging directory over it
 * (LibqiDirectoryView).
 *
 * The directory link is opened when the gateway starts (it fails to start without it, with the link's own error:
 * TransportError, Unauthorized, Timeout). Once lost it is opened again in the background on the gateway's
 * backoff, and on the next bind (DirectoryUnavailable while it cannot be): live bindings go on meanwhile over their
 * own service links, as a native gateway's do while its directory is away. A binding ends with ServiceGone when
 * the directory reports its service removed, or when the link to its service closes (the service process died).
 * A refusal of the gateway's credentials is Unauthorized at the start; for a later bind it is DirectoryUnavailable
 * with `data.cause` the refusal's code (the client's own credentials are not at fault).
 */
import type { Identity } from '../auth/authenticator.js';
import { connectLibqi, type LibqiConnection, type LibqiConnectOptions } from '../libqi/libqi-connection.js';
import type { BindReply } from '../protocol/control.js';
import { ClosedError, DirectoryUnavailableError, LimitExceededError, ServiceGoneError, toQiError, UnauthorizedError } from '../protocol/errors.js';
import { backoffDelay, backoffPolicy, ROBOT_SIDE_MAX_DELAY_MS, type BackoffOptions } from '../session/backoff.js';
import type { Session } from '../session/session.js';
import type { LibqiServiceClient } from '../libqi/libqi-service-client.js';
import { BindAdmission } from './bind-admission.js';
import { bridgeMetaObject, type BridgedMetaObject } from './libqi-meta-object.js';
import { LibqiDirectoryView } from './libqi-directory-view.js';
import { LibqiRoute } from './libqi-route.js';

/**
 * How a gateway reaches its libqi directory: LibqiConnectOptions, with `user` and `token` as a shorthand for
 * `credentials: { user, token }` (a robot's usual pair; `credentials` wins where both name a field).
 */
export interface LibqiBridgeOptions extends LibqiConnectOptions {
  user?: string;
  token?: string;
}

/** libqi's name for its directory, never bridged. */
const LIBQI_DIRECTORY_NAME = 'ServiceDirectory';

export class LibqiBridge {
  /** The live bridged bindings, each with the connection it was bound through. */
  readonly routes = new Map<LibqiRoute, LibqiConnection>();
  private connection: Promise<LibqiConnection> | undefined;
  /** Every connection opened, until the gateway closes: one whose directory link was lost may still carry bindings. */
  private readonly connections = new Set<LibqiConnection>();
  private closed = false;
  /** `ServiceDirectory` for clients of a gateway without a qimessaging directory. */
  private readonly view = new LibqiDirectoryView(() => this.directory());
  /** The next background attempt to open the directory link again, and how many were made in a row. */
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private reopenAttempts = 0;

  private readonly options: LibqiConnectOptions;

  constructor(
    readonly url: string,
    options: LibqiBridgeOptions = {},
    private readonly backoff: Required<BackoffOptions> = backoffPolicy({ maxDelayMs: ROBOT_SIDE_MAX_DELAY_MS }),
    /** The gateway's shares of bindings: an object a method returns counts as one binding of its client's link. */
    private readonly admission: BindAdmission = new BindAdmission(),
  ) {
    const { user, token, ...rest } = options;
    const shorthand = { ...(user === undefined ? {} : { user }), ...(token === undefined ? {} : { token }) };
    this.options = { ...rest, credentials: { ...shorthand, ...rest.credentials } };
  }

  /** Opens the directory link when the gateway starts; rejects with that link's own error. */
  async connect(): Promise<void> {
    if (this.closed) throw new ClosedError('the gateway closed');
    const opening = this.open(false);
    this.connection = opening;
    await opening;
  }

  /**
   * Binds `name` for `client`: resolves with the channel and the bridged meta-object, or rejects with
   * ServiceNotFound, DirectoryUnavailable or LimitExceeded. `release` is called once the binding has ended (or
   * at once when it could not be made).
   */
  async bind(name: string, client: Session, _caller: Identity | undefined, release: () => void): Promise<BindReply> {
    try {
      if (name === LIBQI_DIRECTORY_NAME) {
        if (client.isClosed) throw client.reason ?? new ClosedError('the client link closed');
        return this.view.bind(client, _caller, release);
      }
      const connection = await this.directory();
      const service = await connection.service(name);
      if (client.isClosed || this.closed || !client.hasRoomForChannel || service.linkClosed) {
        void service.close();
        if (client.isClosed) throw client.reason ?? new ClosedError('the client link closed');
        if (this.closed) throw new ClosedError('the gateway closed');
        // Lost while the bind was made: the route could not watch it (its end would precede the bind's reply).
        if (service.linkClosed) throw new ServiceGoneError(`service '${name}' lost while being bound`);
        throw new LimitExceededError(`link ${client.id} has no room for another channel`);
      }
      const bridged = bridgeMetaObject(name, service.metaObject);
      // The route ends itself when its service's link closes (LibqiRoute watches it).
      const route = new LibqiRoute(client, service, bridged, (ended) => {
        this.routes.delete(ended);
        this.retireIfUnused(connection);
        release();
      }, this.openObject);
      this.routes.set(route, connection);
      return { channel: route.channel, metaObject: bridged.metaObject };
    } catch (err) {
      release();
      throw toQiError(err);
    }
  }

  /**
   * A route for an object a bridged method returned (`o`): a channel on the parent's client link, counted as one
   * binding of that link (LimitExceeded past its share, the object then released at the service), ended with its
   * parent, by the client's unbind, or with its service link; ending it Posts libqi's `terminate` to the object.
   */
  private readonly openObject = (parent: LibqiRoute, object: LibqiServiceClient, method: string): BindReply => {
    const connection = this.routes.get(parent);
    const client = parent.client;
    let release: () => void;
    let bridged: BridgedMetaObject;
    try {
      if (connection === undefined || this.closed) throw new ServiceGoneError(`the binding of ${parent.name} ended`);
      if (!client.hasRoomForChannel) throw new LimitExceededError(`link ${client.id} has no room for another channel`);
      // Before the share is taken: a libqi service's meta-object may not translate (a signature that does not parse).
      bridged = bridgeMetaObject(`${parent.name}.${method}()`, object.metaObject);
      release = this.admission.reserve(client);
    } catch (err) {
      void object.close().catch(() => undefined);
      throw err;
    }
    const route = new LibqiRoute(client, object, bridged, (ended) => {
      // Else a long-lived parent (ALMemory) would hold every object it ever returned.
      parent.disown(ended);
      this.routes.delete(ended);
      this.retireIfUnused(connection);
      release();
    }, this.openObject);
    this.routes.set(route, connection);
    parent.adopt(route);
    return { channel: route.channel, metaObject: bridged.metaObject };
  };

  /** Ends every bridged binding and closes every libqi link. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.view.close();
    for (const route of [...this.routes.keys()]) route.end(new ServiceGoneError('the gateway closed'));
    const opening = this.connection;
    this.connection = undefined;
    await opening?.catch(() => undefined);
    await Promise.allSettled([...this.connections].map((c) => c.close()));
    this.connections.clear();
  }

  toJSON(): object {
    let libqiObjects = 0;
    for (const route of this.routes.keys()) if (route.service.objectId !== 1) libqiObjects++;
    return { libqiDirectory: this.url, libqiBindings: this.routes.size, libqiObjects };
  }

  /** The connection, opened again if its directory link was lost. */
  private async directory(): Promise<LibqiConnection> {
    if (this.closed) throw new ClosedError('the gateway closed');
    const current = this.connection;
    if (current) {
      const connection = await current.catch(() => undefined);
      if (connection && connection.links.includes(connection.url)) return connection;
      if (this.connection === current) this.connection = undefined;
      // Its service links may still carry live bindings: they end with ConnectionLost when those links go.
    }
    this.connection ??= this.open(true);
    return this.connection;
  }

  /** Closes a connection whose directory link is gone once no binding uses its service links. */
  private retireIfUnused(connection: LibqiConnection): void {
    if (connection.links.includes(connection.url) || this.closed) return;
    for (const through of this.routes.values()) if (through === connection) return;
    this.connections.delete(connection);
    void connection.close();
  }

  /** Tries to open the directory link again after a backoff, until it is open or the gateway closes. */
  private reopenLater(): void {
    if (this.closed || this.reopenTimer || this.reopenAttempts >= this.backoff.maxAttempts) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.directory().then(
        () => (this.reopenAttempts = 0),
        () => this.reopenLater(),
      );
    }, backoffDelay(this.backoff, ++this.reopenAttempts));
    // Not unref'd: like a native Connection reconnecting, an open bridge keeps its process alive while it tries.
  }

  /** `unavailable`: a failure is DirectoryUnavailable (a bind's), else the link's own error (the gateway starting). */
  private async open(unavailable: boolean): Promise<LibqiConnection> {
    let connection: LibqiConnection;
    try {
      connection = await connectLibqi(this.url, this.options);
    } catch (err) {
      // The rejected promise stays until the next bind, which opens another.
      const error = toQiError(err);
      const why = error instanceof UnauthorizedError ? "refused the gateway's credentials" : 'cannot be reached';
      const message = `the gateway's libqi directory at ${this.url} ${why}: ${error.message}`;
      // At the start the gateway's owner hears the link's own error (a refused token is theirs to mend); a client
      // binding later is not at fault for the gateway's credentials: DirectoryUnavailable, the cause's code in `data`.
      if (!unavailable) throw error instanceof UnauthorizedError ? new UnauthorizedError(message) : error;
      throw new DirectoryUnavailableError(message, { cause: error.code });
    }
    if (this.closed) {
      await connection.close();
      throw new ClosedError('the gateway closed');
    }
    this.connections.add(connection);
    connection.directory.onLinkClosed(() => {
      // Bindings over its service links go on; new binds and the directory view need a directory link back.
      this.retireIfUnused(connection);
      this.reopenLater();
    });
    // A service gone from the directory: its bindings end (its id is not reused while that directory runs; a
    // restarted one numbers from scratch, so only bindings made through this connection are its).
    await connection.directory
      .on('serviceRemoved', (serviceId: unknown, serviceName: unknown) => {
        for (const [route, through] of [...this.routes]) {
          if (through === connection && route.service.serviceId === serviceId) route.end(new ServiceGoneError(`service '${String(serviceName)}' left the libqi directory`));
        }
        if (typeof serviceName === 'string') this.view.serviceRemoved.emit(serviceName);
      })
      .catch(() => undefined);
    await connection.directory
      .on('serviceAdded', (_serviceId: unknown, serviceName: unknown) => {
        if (typeof serviceName === 'string') this.view.serviceAdded.emit(serviceName);
      })
      .catch(() => undefined);
    return connection;
  }
}

/**
 * A gateway's libqi side: the link to a libqi ServiceDirectory (a NAOqi robot's `tcp://robot:9559`, the kit's
 * `qi_sd`) and the bindings qimessaging clients make through it to its services (createGateway's
 * `libqiDirectory` option; docs/PROTOCOL.md §11, "The Gateway as a bridge").
 *
 * A bind of name N resolves N with the LibqiConnection (its ServiceInfo, then a direct link to the service's
 * endpoint, one per endpoint however many bindings use it), fetches its meta-object, and opens a LibqiRoute on the
 * client's link that translates CBOR ⇄ libqi for that binding. Each binding has its own LibqiServiceClient (so its
 * subscriptions are its own, and are dropped with it). libqi's own `ServiceDirectory` is not bridged (its
 * registerService would let a client register services on the gateway's behalf): a bind of that name, which a
 * gateway without a qimessaging directory passes here, gets a read-only qimessaging directory over it
 * (LibqiDirectoryView).
 *
 * The directory link is opened when the gateway starts (it fails to start without it) and again, on the next bind,
 * whenever it was lost: live bindings go on meanwhile over their own service links. A service the directory
 * reports removed ends its bindings with ServiceGone.
 */
import type { Identity } from '../auth/authenticator.js';
import { connectLibqi, type LibqiConnection, type LibqiConnectOptions } from '../libqi/libqi-connection.js';
import type { BindReply } from '../protocol/control.js';
import { ClosedError, DirectoryUnavailableError, LimitExceededError, ServiceGoneError, toQiError } from '../protocol/errors.js';
import type { Session } from '../session/session.js';
import { bridgeMetaObject } from './libqi-meta-object.js';
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
  /** The live bridged bindings. */
  readonly routes = new Set<LibqiRoute>();
  private connection: Promise<LibqiConnection> | undefined;
  /** Every connection opened, until the gateway closes: one whose directory link was lost may still carry bindings. */
  private readonly connections = new Set<LibqiConnection>();
  private closed = false;
  /** `ServiceDirectory` for clients of a gateway without a qimessaging directory. */
  private readonly view = new LibqiDirectoryView(() => this.directory());

  private readonly options: LibqiConnectOptions;

  constructor(
    readonly url: string,
    options: LibqiBridgeOptions = {},
  ) {
    const { user, token, ...rest } = options;
    const shorthand = { ...(user === undefined ? {} : { user }), ...(token === undefined ? {} : { token }) };
    this.options = { ...rest, credentials: { ...shorthand, ...rest.credentials } };
  }

  /** Opens the directory link (or checks the one open); rejects with DirectoryUnavailable. */
  async connect(): Promise<void> {
    await this.directory();
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
      const route = new LibqiRoute(client, service, bridged, (ended) => {
        this.routes.delete(ended);
        release();
      });
      this.routes.add(route);
      return { channel: route.channel, metaObject: bridged.metaObject };
    } catch (err) {
      release();
      throw toQiError(err);
    }
  }

  /** Ends every bridged binding and closes every libqi link. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.view.close();
    for (const route of [...this.routes]) route.end(new ServiceGoneError('the gateway closed'));
    const opening = this.connection;
    this.connection = undefined;
    await opening?.catch(() => undefined);
    await Promise.allSettled([...this.connections].map((c) => c.close()));
    this.connections.clear();
  }

  toJSON(): object {
    return { libqiDirectory: this.url, libqiBindings: this.routes.size };
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
    this.connection ??= this.open();
    return this.connection;
  }

  private async open(): Promise<LibqiConnection> {
    let connection: LibqiConnection;
    try {
      connection = await connectLibqi(this.url, this.options);
    } catch (err) {
      // The rejected promise stays until the next bind, which opens another. The client's own credentials are not
      // at fault when the directory refuses the gateway's: DirectoryUnavailable, with the cause's code in `data`.
      const cause = toQiError(err);
      const why = cause.code === 'Unauthorized' ? 'refused the gateway\'s credentials' : 'cannot be reached';
      throw new DirectoryUnavailableError(`the gateway's libqi directory at ${this.url} ${why}: ${cause.message}`, { cause: cause.code });
    }
    if (this.closed) {
      await connection.close();
      throw new ClosedError('the gateway closed');
    }
    this.connections.add(connection);
    // A service gone from the directory: its bindings end (its id is not reused while the directory runs).
    await connection.directory
      .on('serviceRemoved', (serviceId: unknown, serviceName: unknown) => {
        for (const route of [...this.routes]) {
          if (route.service.serviceId === serviceId) route.end(new ServiceGoneError(`service '${String(serviceName)}' left the libqi directory`));
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

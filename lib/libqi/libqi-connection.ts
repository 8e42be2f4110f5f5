/**
 * A client of a libqi ServiceDirectory: a NAOqi robot (`tcp://robot:9559`; NAOqi 2.9 `tcps://robot:9503`) or the
 * kit's `qi_sd`. libqi has no gateway: the directory says where each service listens (its ServiceInfo's
 * endpoints), and the client opens a link straight to it, one link per endpoint however many services share it.
 *
 * ```ts
 * const robot = await connectLibqi('tcp://127.0.0.1:9559');
 * const tts = await robot.service('ALTextToSpeech');
 * await tts.call('say', 'hello');
 * await robot.close();
 * ```
 *
 * Why a function of its own rather than a scheme for `connect()`: a URL a NAOqi user already has (`tcp://…`,
 * `tcps://…`) means libqi here, unchanged, and the two protocols have different clients underneath (a libqi link
 * has no bindings, channels or CBOR); what they share is the client's method names.
 */
import { BadArgumentsError, ConnectionLostError, ServiceNotFoundError, TransportError, type QiError } from '../protocol/errors.js';
import { META_OBJECT_SIGNATURE, parseSignature, BuiltinAction, LibqiAddress, type LibqiMetaObject } from '../protocol/libqi/index.js';
import type { TransportRegistry } from '../transports/registry.js';
import { TcpTransport } from '../transports/tcp.js';
import { TlsTransport, type TlsTransportOptions } from '../transports/tls.js';
import type { Transport } from '../transports/transport.js';
import { LibqiServiceClient, type LibqiCallOptions } from './libqi-service-client.js';
import { LibqiSocket, withTimeout, type LibqiAuthOptions } from './libqi-socket.js';

export interface LibqiConnectOptions extends LibqiAuthOptions {
  /**
   * TLS settings for `tcps://` and `tcpsm://`. libqi's `tcps://` verifies no certificate (robots have self-signed
   * ones), so here `tcps://` defaults to `rejectUnauthorized: false` too; `tcpsm://` (mutual TLS) verifies, and
   * needs `cert`, `key` and `ca`.
   */
  tls?: TlsTransportOptions;
  /** Where `tcp://` links come from (default: a TcpTransport); a registry's `tcp` transport is used. */
  transports?: TransportRegistry;
  /** Milliseconds a link may take to open and authenticate (default 10 s). */
  connectTimeout?: number;
}

/** A service as the directory describes it (libqi's ServiceInfo). */
export interface LibqiServiceInfo {
  name: string;
  serviceId: number;
  machineId: string;
  processId: number;
  endpoints: string[];
  sessionId: string;
  /** 20 raw bytes (a string when they happen to be UTF-8). */
  objectUid: string | Uint8Array;
}

export type LibqiServiceProxy = LibqiServiceClient & Record<string, unknown>;

const METHOD_CALL_TIMEOUT_MS = 10_000;

/** Opens a libqi connection to the ServiceDirectory at `url` (`tcp://`, `tcps://` or `tcpsm://`). */
export async function connectLibqi(url: string, options: LibqiConnectOptions = {}): Promise<LibqiConnection> {
  const connection = new LibqiConnection(url, options);
  await connection.open();
  return connection;
}

export class LibqiConnection {
  private readonly sockets = new Map<string, Promise<LibqiSocket>>();
  private directoryClient: LibqiServiceClient | undefined;
  private closed = false;

  /** @internal Use `connectLibqi(url)`. */
  constructor(
    readonly url: string,
    private readonly options: LibqiConnectOptions,
  ) {}

  /** @internal */
  async open(): Promise<void> {
    const socket = await this.socketFor(this.url);
    const metaObject = await fetchMetaObject(socket, LibqiAddress.directoryService);
    this.directoryClient = new LibqiServiceClient(socket, LibqiAddress.directoryService, LibqiAddress.mainObject, metaObject, 'ServiceDirectory');
  }

  /** The ServiceDirectory itself, as a client: `serviceAdded` / `serviceRemoved` signals, `machineId()`, … */
  get directory(): LibqiServiceProxy {
    return this.directoryClient as LibqiServiceProxy;
  }

  /** The endpoints this connection holds a link to (the directory's, and one per service endpoint in use). */
  get links(): string[] {
    return [...this.sockets.keys()];
  }

  /** Every service the directory knows. */
  async services(): Promise<LibqiServiceInfo[]> {
    return (await this.directory.call('services')) as LibqiServiceInfo[];
  }

  /**
   * A client of the service `name`, over a direct link to one of its endpoints (reused when another service
   * shares it). Rejects with ServiceNotFoundError when the directory does not know it.
   */
  async service(name: string, options: LibqiCallOptions = {}): Promise<LibqiServiceProxy> {
    let info: LibqiServiceInfo;
    try {
      info = (await this.directory.call('service', name)) as LibqiServiceInfo;
    } catch (err) {
      throw new ServiceNotFoundError(`no service '${name}' in the libqi directory at ${this.url}: ${(err as Error).message}`);
    }
    if (info.serviceId === LibqiAddress.directoryService) return this.directory.with(options);
    const socket = await this.socketForService(info);
    const metaObject = await fetchMetaObject(socket, info.serviceId);
    const client = new LibqiServiceClient(socket, info.serviceId, LibqiAddress.mainObject, metaObject, name);
    return Object.keys(options).length === 0 ? (client as LibqiServiceProxy) : client.with(options);
  }

  /** Closes every link; calls in flight fail with ClosedError. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sockets = await Promise.allSettled([...this.sockets.values()]);
    this.sockets.clear();
    for (const result of sockets) if (result.status === 'fulfilled') result.value.close();
  }

  /** The link to a service: the first of its endpoints that opens, those on the directory's host first. */
  private async socketForService(info: LibqiServiceInfo): Promise<LibqiSocket> {
    const directoryHost = new URL(this.url).hostname;
    const usable = info.endpoints.filter((e) => /^(tcp|tcps|tcpsm):\/\//.test(e));
    const rank = (endpoint: string): number => {
      const host = new URL(endpoint).hostname;
      return host === directoryHost ? 0 : host === '127.0.0.1' || host === 'localhost' ? 1 : 2;
    };
    usable.sort((a, b) => rank(a) - rank(b));
    if (usable.length === 0) throw new TransportError(`service '${info.name}' has no endpoint this client can reach (${info.endpoints.join(', ') || 'none'})`);
    const failures: string[] = [];
    for (const endpoint of usable) {
      try {
        return await this.socketFor(endpoint);
      } catch (err) {
        failures.push(`${endpoint}: ${(err as Error).message}`);
      }
    }
    throw new ConnectionLostError(`could not reach service '${info.name}': ${failures.join('; ')}`);
  }

  /** One authenticated link per endpoint, shared; forgotten when it closes, so the next use opens another. */
  private socketFor(endpoint: string): Promise<LibqiSocket> {
    if (this.closed) return Promise.reject(new ConnectionLostError(`libqi connection to ${this.url} is closed`));
    const existing = this.sockets.get(endpoint);
    if (existing) return existing;
    const opening = this.openSocket(endpoint);
    this.sockets.set(endpoint, opening);
    opening.then(
      (socket) => socket.onClose(() => this.forget(endpoint, opening)),
      () => this.forget(endpoint, opening),
    );
    return opening;
  }

  private forget(endpoint: string, socket: Promise<LibqiSocket>): void {
    if (this.sockets.get(endpoint) === socket) this.sockets.delete(endpoint);
  }

  private async openSocket(endpoint: string): Promise<LibqiSocket> {
    const { transport, url } = this.transportFor(endpoint);
    const timeout = this.options.connectTimeout ?? METHOD_CALL_TIMEOUT_MS;
    const abort = new AbortController();
    const link = await withTimeout(transport.connect(url, { protocolVersion: 0, signal: abort.signal }), timeout, `connecting to ${endpoint}`).catch((err: QiError) => {
      abort.abort();
      throw err;
    });
    const socket = new LibqiSocket(link);
    try {
      await withTimeout(socket.authenticate(this.options), timeout, `authenticating with ${endpoint}`);
    } catch (err) {
      socket.close();
      throw err;
    }
    return socket;
  }

  private transportFor(endpoint: string): { transport: Transport; url: URL } {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      throw new TransportError(`invalid libqi endpoint '${endpoint}'`);
    }
    const hostPort = `${parsed.hostname.includes(':') ? `[${parsed.hostname}]` : parsed.hostname}:${parsed.port}`;
    switch (parsed.protocol) {
      case 'tcp:': {
        const transport = this.options.transports?.resolve(`tcp://${hostPort}`).transport ?? new TcpTransport();
        return { transport, url: new URL(`tcp://${hostPort}`) };
      }
      case 'tcps:':
        return { transport: new TlsTransport({ rejectUnauthorized: false, ...this.options.tls }), url: new URL(`tls://${hostPort}`) };
      case 'tcpsm:':
        return { transport: new TlsTransport({ rejectUnauthorized: true, ...this.options.tls }), url: new URL(`tls://${hostPort}`) };
      default:
        throw new BadArgumentsError(`'${endpoint}' is not a libqi endpoint (tcp://, tcps:// or tcpsm://)`);
    }
  }
}

/** An object's meta-object: the built-in `metaObject(I)` call, with 0 as libqi's own client sends. */
async function fetchMetaObject(socket: LibqiSocket, serviceId: number): Promise<LibqiMetaObject> {
  const { promise } = socket.send(serviceId, LibqiAddress.mainObject, BuiltinAction.metaObject, parseSignature('(I)'), [0], parseSignature(META_OBJECT_SIGNATURE));
  return (await promise) as LibqiMetaObject;
}

/**
 * `ws://` and `wss://` with the `ws` package. A listener either opens its own HTTP(S) server on the URL's port, or
 * attaches to a server the application already has (`new WebSocketTransport({ server })`), answering upgrades on
 * the URL's path only, so one port serves the app's pages and qimessaging. Browsers use BrowserWebSocketTransport
 * (browser-websocket.ts) instead, through lib/browser.ts.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { ClosedError, TransportError } from '../protocol/errors.js';
import { DEFAULT_MAX_BODY_SIZE, HEADER_SIZE } from '../protocol/header.js';
import { routeUpgrades } from './upgrade-routes.js';
import { hostAndPort } from './url.js';
import type { ConnectOptions, Link, Listener, ListenOptions, Transport } from './transport.js';
import { openWebSocketLink, WebSocketLink, type WebSocketLike } from './websocket-link.js';

export interface WebSocketTransportOptions {
  /** `ws` (default) or `wss`. */
  scheme?: 'ws' | 'wss';
  /** An existing HTTP(S) server to attach listeners to, instead of opening a port per listener. */
  server?: http.Server | https.Server;
  /** TLS key and certificate for `wss` listeners that open their own port. */
  tls?: https.ServerOptions;
  /** TLS options for `wss` connections (e.g. `ca` for a self-signed server). */
  clientTls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /**
   * On a port a listener opens itself: how long a connection may stay silent, or take to send its upgrade
   * request (and, for `wss`, its TLS handshake), before it is dropped, in ms (default 10,000, the link
   * handshake's). Node's own defaults keep a trickling connection 60–300 s and a silent one for ever. An
   * application's `server` keeps its own settings (`headersTimeout`, `requestTimeout`, `timeout`).
   */
  upgradeTimeoutMs?: number;
}

/** Default `upgradeTimeoutMs`. */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 10_000;

/** The deadline of each connection to a listener's own port, until its upgrade is handed to ws. */
const upgradeDeadlines = new WeakMap<object, ReturnType<typeof setTimeout>>();

export class WebSocketTransport implements Transport {
  readonly scheme: 'ws' | 'wss';

  constructor(private readonly options: WebSocketTransportOptions = {}) {
    this.scheme = options.scheme ?? 'ws';
  }

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    hostAndPort(url);
    if (options.signal?.aborted) throw new ClosedError(`connect to ${url.href} aborted`);
    const maxPayload = (options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE) + HEADER_SIZE;
    const socket = new NodeWebSocket(url.href, { maxPayload, perMessageDeflate: false, ...this.options.clientTls });
    return openWebSocketLink(socket as unknown as WebSocketLike, url, this.scheme, options);
  }

  async listen(url: URL, onLink: (link: Link) => void, options: ListenOptions = {}): Promise<Listener> {
    const path = url.pathname || '/';
    const maxPayload = (options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE) + HEADER_SIZE;
    const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
    const links = new Set<Link>();
    wss.on('connection', (socket, request) => {
      const remote = `${this.scheme}://${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`;
      const link = new WebSocketLink(socket as unknown as WebSocketLike, remote, options);
      links.add(link);
      socket.once('close', () => links.delete(link));
      onLink(link);
    });
    const ownServer = this.options.server === undefined;
    const server = this.options.server ?? (await this.openServer(url));
    const port = embeddedPort(server, url, ownServer);
    const onUpgrade = (request: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void => {
      clearTimeout(upgradeDeadlines.get(socket));
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    };
    const unroute = routeUpgrades(server, path, onUpgrade, url.href);
    // A server of our own: its address. The app's server: the URL's host (what clients are to dial; the server may
    // listen on every interface) and the server's port, read when asked, since the app may call listen() later.
    const own = ownServer ? (server.address() as AddressInfo) : undefined;
    const host = own ? (own.family === 'IPv6' ? `[${own.address}]` : own.address) : url.hostname;
    let closing: Promise<void> | undefined;
    const scheme = this.scheme;
    return {
      get url() {
        const address = server.address();
        return `${scheme}://${host}:${typeof address === 'object' && address ? address.port : port}${path}`;
      },
      close: () => {
        closing ??= (async () => {
          unroute();
          for (const link of links) link.close();
          await new Promise<void>((resolve) => wss.close(() => resolve()));
          // A server we opened is ours to close; an application's server stays up.
          if (ownServer) await new Promise<void>((resolve) => server.close(() => resolve()));
        })();
        return closing;
      },
    };
  }

  private openServer(url: URL): Promise<http.Server | https.Server> {
    const { host, port } = hostAndPort(url, { allowZeroPort: true });
    if (this.scheme === 'wss' && !this.options.tls) throw new TransportError(`a wss listener on its own port needs tls options: ${url.href}`);
    const timeout = this.options.upgradeTimeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS;
    // A connection that never finishes its request holds a socket: drop it at the deadline, checked often enough.
    const limits = { headersTimeout: timeout, requestTimeout: timeout, connectionsCheckingInterval: Math.max(10, Math.min(1_000, timeout / 4)) };
    const server = this.scheme === 'wss' ? https.createServer({ ...limits, handshakeTimeout: timeout, ...this.options.tls }) : http.createServer(limits);
    // Node's own checks miss a connection that has sent nothing, and check the rest only now and then: each
    // connection gets its own deadline, lifted once its upgrade is handed to ws. On wss, from the end of the TLS
    // handshake (which has its own deadline).
    server.on(this.scheme === 'wss' ? 'secureConnection' : 'connection', (socket: Socket) => {
      const deadline = setTimeout(() => socket.destroy(), timeout);
      deadline.unref();
      upgradeDeadlines.set(socket, deadline);
      socket.once('close', () => clearTimeout(deadline));
    });
    // Plain HTTP requests to a qimessaging-only port get a short answer, not a hang.
    server.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n'));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new TransportError(`cannot listen on ${url.href}: ${err.message}`)));
      server.listen({ host, port }, () => resolve(server));
    });
  }
}

/**
 * The port a listener on the app's server answers on, checked against the URL's: the URL must name the server's
 * port (or 0: whichever it is), and before the server listens, name it outright, since it cannot be read yet.
 */
function embeddedPort(server: http.Server | https.Server, url: URL, ownServer: boolean): number {
  const { port } = hostAndPort(url, { allowZeroPort: true });
  if (ownServer) return port;
  const address = server.address();
  const listening = typeof address === 'object' && address !== null ? address.port : undefined;
  if (listening === undefined && port === 0) {
    throw new TransportError(`cannot listen on ${url.href}: the server is not listening yet, so the URL must name the port it will listen on`);
  }
  if (listening !== undefined && port !== 0 && port !== listening) {
    throw new TransportError(`cannot listen on ${url.href}: the server listens on port ${listening}, not ${port}`);
  }
  return listening ?? port;
}

/**
 * `nats://host:port/SUBJECT`: links through a NATS server (or cluster), so that peers on other hosts need no
 * reachable endpoint of their own, only the NATS network. A listener subscribes to SUBJECT (in queue group `qi`,
 * so several listeners on one subject share its links rather than all answering one open); a connect sends an
 * `open` request there, and each link is then a pair of inboxes carrying frames unchanged (nats-link.ts). Only the
 * open is a NATS request: frames are plain publishes, with no per-frame request and reply.
 *
 * One NATS connection per server URL (and credentials) is shared by every link and listener of this transport,
 * opened on first use and closed with the last. When it drops, every link on it closes with ConnectionLost:
 * nats.js reconnects, but what was published meanwhile is silently lost, so a link cannot survive it; the
 * session layer reconnects and rebinds, and listeners' subscriptions come back with the connection. This is the
 * only file that imports the NATS client, and it does so on first use, so registering the transport costs nothing.
 */
import type { MsgHdrs, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { ClosedError, ConnectionLostError, TransportError } from '../protocol/errors.js';
import { LINK_HEADER, NatsLink, type LinkSignal, type NatsWire } from './nats-link.js';
import { formatHost } from './sockets.js';
import { hostAndPort } from './url.js';
import type { ConnectOptions, Link, Listener, ListenOptions, Transport } from './transport.js';

export interface NatsTransportOptions {
  /** Bytes a link lets its peer send ahead of its acks (default 4 MiB, at most 16 MiB). */
  window?: number;
  /** A link whose peer sent nothing for this long asks the server whether the peer is still there (default 1,000 ms). */
  probeIntervalMs?: number;
  /** How long a connect waits for the listener to answer its open (default 5,000 ms). */
  openTimeoutMs?: number;
  /** Options for the NATS connections (authentication, TLS, reconnect pacing); `servers` comes from the URL. */
  connection?: Omit<NodeConnectionOptions, 'servers'>;
  /**
   * Other nodes of the same NATS cluster (`host:port` or `nats://host:port`), tried in order after the URL's own
   * node: an endpoint names one node, and without these a connect while that node is down fails.
   */
  fallbackServers?: string[];
}

const DEFAULT_WINDOW = 4 << 20;
/** Largest window a peer may announce: what this side lets one link have in flight towards it. */
const MAX_WINDOW = 16 << 20;
const MIN_WINDOW = 4 << 10;
/** NATS subject tokens: no wildcards, no empty token, no whitespace. */
const SUBJECT = /^[A-Za-z0-9_\-$]+(\.[A-Za-z0-9_\-$]+)*$/;
const MAX_SUBJECT = 256;
/** Links on one listener subject form this queue group. */
const QUEUE = 'qi';
const PROTOCOL_VERSION = '1';

type NatsClient = typeof import('@nats-io/transport-node');
let client: Promise<NatsClient> | undefined;
const loadClient = (): Promise<NatsClient> => (client ??= import('@nats-io/transport-node'));

/** One NATS connection, shared; it closes its links when it drops. */
class SharedConnection implements NatsWire {
  readonly links = new Set<NatsLink>();
  /** False from a disconnect until nats.js has reconnected. */
  connected = true;

  constructor(
    readonly nc: NatsConnection,
    readonly server: string,
    readonly nats: NatsClient,
  ) {
    void this.watch();
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1 << 20;
  }

  publish(subject: string, data: Uint8Array): void {
    this.nc.publish(subject, data);
  }

  signal(subject: string, kind: string, fields: Readonly<Record<string, string>> = {}): void {
    this.nc.publish(subject, undefined, { headers: this.headers(kind, fields) });
  }

  headers(kind: string, fields: Readonly<Record<string, string>> = {}): MsgHdrs {
    const h = this.nats.headers();
    h.set(LINK_HEADER.kind, kind);
    for (const [name, value] of Object.entries(fields)) h.set(name, value);
    return h;
  }

  async probe(subject: string, timeoutMs: number): Promise<boolean> {
    try {
      await this.nc.request(subject, undefined, { timeout: timeoutMs, headers: this.headers('ping') });
      return true;
    } catch (err) {
      // A timeout proves nothing (the peer may be busy; its heartbeat judges that); only no-responders does.
      return !this.isNoResponders(err);
    }
  }

  isNoResponders(err: unknown): boolean {
    if (err instanceof this.nats.NoRespondersError) return true;
    return err instanceof this.nats.RequestError && err.isNoResponders();
  }

  subscribe(subject: string, onData: (data: Uint8Array) => void, onSignal: (signal: LinkSignal) => void, onError: (err: Error) => void): () => void {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return onError(err);
        const h = msg.headers;
        if (!h) return onData(msg.data);
        onSignal({ kind: h.get(LINK_HEADER.kind), field: (name) => h.get(name) || undefined, respond: () => msg.respond() });
      },
    });
    return () => sub.unsubscribe();
  }

  closeLinks(why: string): void {
    for (const link of [...this.links]) link.connectionLost(new ConnectionLostError(`nats link to ${link.remote} lost: ${why}`));
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.closeLinks(`the NATS connection to ${this.server} dropped (frames sent meanwhile would be lost)`);
      } else if (status.type === 'reconnect') {
        this.connected = true;
      }
    }
  }
}

export class NatsTransport implements Transport {
  readonly scheme = 'nats';
  private readonly pool = new Map<string, PoolEntry>();
  private readonly window: number;

  constructor(private readonly options: NatsTransportOptions = {}) {
    this.window = clampWindow(options.window ?? DEFAULT_WINDOW);
  }

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    const subject = subjectOf(url, false);
    if (options.signal?.aborted) throw new ClosedError(`connect to ${url.href} aborted`);
    const { shared, release } = await this.acquire(url);
    if (!shared.connected) {
      release();
      throw new TransportError(`cannot connect to ${url.href}: the NATS connection to ${shared.server} is down (reconnecting)`);
    }
    const link = this.makeLink(shared, `nats://${shared.server}/${subject}`, options, release);
    try {
      const reply = await abortable(
        shared.nc.request(subject, undefined, {
          timeout: this.options.openTimeoutMs ?? 5_000,
          headers: shared.headers('open', {
            [LINK_HEADER.inbox]: link.inbox,
            [LINK_HEADER.window]: String(this.window),
            [LINK_HEADER.client]: shared.nc.info?.client_ip ?? 'unknown',
            'Qi-Version': PROTOCOL_VERSION,
          }),
        }),
        options.signal,
        () => new ClosedError(`connect to ${url.href} aborted`),
      );
      const h = reply.headers;
      const kind = h?.get(LINK_HEADER.kind);
      const peerInbox = h?.get(LINK_HEADER.inbox) ?? '';
      if (kind !== 'accept' || !isSubject(peerInbox)) {
        throw new TransportError(`cannot connect to ${url.href}: ${kind === 'refuse' ? `refused: ${h?.get(LINK_HEADER.reason)}` : 'not a qimessaging listener'}`);
      }
      link.connectTo(peerInbox, clampWindow(Number(h?.get(LINK_HEADER.window))));
      return link;
    } catch (err) {
      link.close(new ClosedError('connect failed'));
      if (err instanceof ClosedError || err instanceof TransportError) throw err;
      const why = shared.isNoResponders(err) ? `nothing listens on '${subject}'` : (err as Error).message;
      throw new TransportError(`cannot connect to ${url.href}: ${why}`);
    }
  }

  async listen(url: URL, onLink: (link: Link) => void, options: ListenOptions = {}): Promise<Listener> {
    const named = subjectOf(url, true);
    const { shared, entry, release } = await this.acquire(url);
    const subject = named ?? `qi.${shared.nats.nuid.next()}`;
    const links = new Set<Link>();
    let closing: Promise<void> | undefined;
    const sub = shared.nc.subscribe(subject, {
      queue: QUEUE,
      callback: (err, msg) => {
        if (err || closing || !msg.reply) return;
        const h = msg.headers;
        const peerInbox = h?.get(LINK_HEADER.inbox) ?? '';
        if (h?.get(LINK_HEADER.kind) !== 'open' || !isSubject(peerInbox)) {
          msg.respond(undefined, { headers: shared.headers('refuse', { [LINK_HEADER.reason]: 'not a qimessaging link open' }) });
          return;
        }
        // The peer's address as its NATS server saw it, for per-address limits; anything else reads 'unknown'.
        const announced = h.get(LINK_HEADER.client);
        const client = /^[0-9A-Fa-f:.]{1,45}$/.test(announced) ? announced : 'unknown';
        const releaseLink = this.use(entry);
        const link = this.makeLink(shared, `nats://${formatHost(client)}/${peerInbox}`, options, () => {
          links.delete(link);
          releaseLink();
        });
        link.connectTo(peerInbox, clampWindow(Number(h.get(LINK_HEADER.window))));
        links.add(link);
        msg.respond(undefined, { headers: shared.headers('accept', { [LINK_HEADER.inbox]: link.inbox, [LINK_HEADER.window]: String(this.window) }) });
        onLink(link);
      },
    });
    try {
      // The subscription is in place at the server before anyone is told the URL.
      await shared.nc.flush();
    } catch (err) {
      sub.unsubscribe();
      release();
      throw new TransportError(`cannot listen on ${url.href}: ${(err as Error).message}`);
    }
    return {
      url: `nats://${shared.server}/${subject}`,
      close: () => {
        closing ??= (async () => {
          sub.unsubscribe();
          for (const link of links) link.close();
          release();
        })();
        return closing;
      },
    };
  }

  private makeLink(shared: SharedConnection, remote: string, options: ConnectOptions, release: () => void): NatsLink {
    const link: NatsLink = new NatsLink(shared, `_QI.${shared.nats.nuid.next()}`, remote, {
      maxBodySize: options.maxBodySize,
      maxBufferedBytes: options.maxBufferedBytes,
      window: this.window,
      probeIntervalMs: this.options.probeIntervalMs ?? 1_000,
      onRelease: () => {
        shared.links.delete(link);
        release();
      },
    });
    shared.links.add(link);
    return link;
  }

  /** The shared connection for the URL's server, with one use taken: `release` gives it back (once). */
  private async acquire(url: URL): Promise<{ shared: SharedConnection; entry: PoolEntry; release: () => void }> {
    const { host, port } = hostAndPort(url);
    const key = connectionKey(url);
    let entry = this.pool.get(key);
    if (!entry) {
      const server = `${formatHost(host)}:${port}`;
      const connection = (async () => {
        const nats = await loadClient();
        try {
          const nc = await nats.connect({
            // Links never outlive a disconnect, but listeners come back with the connection: keep trying.
            maxReconnectAttempts: -1,
            reconnectTimeWait: 250,
            ...credentials(url),
            ...this.options.connection,
            // The URL's node first, then the cluster's others: a node down costs its links, not the endpoint.
            ...(this.options.fallbackServers?.length
              ? { servers: [server, ...this.options.fallbackServers.map((s) => s.replace(/^nats:\/\//, '')).filter((s) => s !== server)], noRandomize: true }
              : { servers: server }),
          });
          const shared = new SharedConnection(nc, server, nats);
          // Closed for good (by us, or by the client giving up, e.g. refused credentials): a next use opens anew.
          void nc.closed().then(() => {
            if (this.pool.get(key) === entry) this.pool.delete(key);
            shared.closeLinks(`the NATS connection to ${server} closed`);
          });
          return shared;
        } catch (err) {
          throw new TransportError(`cannot connect to ${url.href}: ${(err as Error).message}`);
        }
      })();
      entry = { key, users: 0, connection };
      this.pool.set(key, entry);
    }
    const release = this.use(entry);
    try {
      return { shared: await entry.connection, entry, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Takes one use of the entry's connection; the function returned gives it back, once. */
  private use(entry: PoolEntry): () => void {
    entry.users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      // The last use closes the connection; the next connect opens a new one.
      if (this.pool.get(entry.key) === entry) this.pool.delete(entry.key);
      entry.connection.then(
        (shared) => {
          shared.closeLinks('its NATS connection closed');
          void shared.nc.close();
        },
        () => {},
      );
    };
  }
}

interface PoolEntry {
  key: string;
  /** Listeners, links and connects under way that use the connection. */
  users: number;
  connection: Promise<SharedConnection>;
}

/** SUBJECT from the URL's path; `optional` (listening) allows none, for a generated one. */
function subjectOf(url: URL, optional: true): string | undefined;
function subjectOf(url: URL, optional: false): string;
function subjectOf(url: URL, optional: boolean): string | undefined {
  const subject = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!subject && optional) return undefined;
  if (!subject) throw new TransportError(`missing subject in '${url.href}' (nats://host:port/SUBJECT)`);
  if (!isSubject(subject)) throw new TransportError(`bad subject '${subject}' in '${url.href}': tokens of letters, digits, _ - $, joined by dots, no wildcards`);
  return subject;
}

function isSubject(subject: string): boolean {
  return subject.length <= MAX_SUBJECT && SUBJECT.test(subject);
}

function clampWindow(window: number): number {
  return Number.isFinite(window) ? Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, Math.floor(window))) : MIN_WINDOW;
}

function connectionKey(url: URL): string {
  return `${url.username}:${url.password}@${url.host}`;
}

/** `nats://user:pass@host` or `nats://token@host`, as nats-server's own URLs spell them. */
function credentials(url: URL): Pick<NodeConnectionOptions, 'user' | 'pass' | 'token'> {
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  if (user && pass) return { user, pass };
  return user ? { token: user } : {};
}

/** `promise`, or a rejection with `aborted()` once `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, aborted: () => Error): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

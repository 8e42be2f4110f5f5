/**
 * The accepting side of links: listens on endpoints, gives each accepted link an acceptor Session that answers
 * binds through a BindHandler, and closes everything on `close()`. The Service, the ServiceDirectory and the
 * Gateway each own one.
 */
import type { Link, Listener } from '../transports/transport.js';
import type { TransportRegistry } from '../transports/registry.js';
import { Session, type BindHandler, type SessionOptions } from './session.js';
import type { QiError } from '../protocol/errors.js';
import { FailedAttempts } from '../auth/failed-attempts.js';

/** Default `maxBufferedBytes`: nats-server's `max_pending` (64 MiB), four of the largest frames (16 MiB bodies). */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 << 20;

export interface HostOptions extends SessionOptions {
  maxBodySize?: number;
  /**
   * Most bytes an accepted link may hold that its peer has not read (replies, events): past it that link is
   * closed with LimitExceededError, and the peer's bindings end with it (default 64 MiB). A peer that does not
   * read costs this side at most this much; the others are not slowed.
   */
  maxBufferedBytes?: number;
}

export interface HostEvents {
  /** A link finished its handshake. */
  opened?(session: Session): void;
  /** An accepted link closed, for whatever reason. */
  closed?(session: Session, reason: QiError): void;
}

export class LinkHost {
  readonly sessions = new Set<Session>();
  private readonly listeners: Listener[] = [];
  /** Refused authentications by remote address, for every link of this host. */
  private readonly failedAttempts: FailedAttempts | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly transports: TransportRegistry,
    private readonly bind: BindHandler<Session>,
    private readonly options: HostOptions = {},
    private readonly events: HostEvents = {},
  ) {
    this.failedAttempts = options.authenticate ? (options.failedAttempts ?? new FailedAttempts()) : undefined;
  }

  /** The endpoints listened on, with ephemeral ports resolved. */
  get endpoints(): string[] {
    return this.listeners.map((listener) => listener.url);
  }

  /** Listens on every URL; if one fails, those already opened are closed and the error is thrown. */
  async listen(urls: readonly string[]): Promise<string[]> {
    const linkOptions = { maxBodySize: this.options.maxBodySize, maxBufferedBytes: this.options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES };
    try {
      for (const endpoint of urls) {
        const { url, transport } = this.transports.resolve(endpoint);
        this.listeners.push(await transport.listen(url, (link) => this.accept(link), linkOptions));
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    return this.endpoints;
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      for (const session of this.sessions) session.close();
      await Promise.all(this.listeners.map((listener) => listener.close()));
    })();
    return this.closing;
  }

  toJSON(): object {
    return { endpoints: this.endpoints, links: this.sessions.size };
  }

  private accept(link: Link): void {
    if (this.closing) {
      link.close();
      return;
    }
    // An acceptor's session ends with its link: a peer that comes back opens a new link and a new session.
    const session = new Session('acceptor', { ...this.options, failedAttempts: this.failedAttempts }, this.bind);
    this.sessions.add(session);
    session.onOpen(() => this.events.opened?.(session));
    session.onClosed((reason) => {
      this.sessions.delete(session);
      this.events.closed?.(session, reason);
    });
    session.attach(link);
  }
}

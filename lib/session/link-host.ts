/**
 * The accepting side of links: listens on endpoints, gives each accepted link an acceptor Session that answers
 * binds through a BindHandler, and closes everything on `close()`. The Service, the ServiceDirectory and the
 * Gateway each own one.
 */
import type { Link, Listener } from '../transports/transport.js';
import type { TransportRegistry } from '../transports/registry.js';
import { remoteHost } from '../transports/url.js';
import { Session, type BindHandler, type SessionOptions } from './session.js';
import { buildMessage } from '../protocol/codec.js';
import { CONTROL_CHANNEL } from '../protocol/control.js';
import { ClosedError, LimitExceededError, type QiError } from '../protocol/errors.js';
import { frameId, MessageType } from '../protocol/header.js';
import { FailedAttempts } from '../auth/failed-attempts.js';

/** Default `maxBufferedBytes`: nats-server's `max_pending` (64 MiB), four of the largest frames (16 MiB bodies). */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 << 20;
/** Default `maxBufferedBytesTotal`: eight links at their own bound. */
export const DEFAULT_MAX_BUFFERED_BYTES_TOTAL = 512 << 20;
/** How often the total is checked while a link holds anything. */
const TOTAL_CHECK_MS = 250;

export interface HostOptions extends SessionOptions {
  maxBodySize?: number;
  /**
   * Most bytes an accepted link may hold that its peer has not read (replies, events): past it that link is
   * closed with LimitExceededError, and the peer's bindings end with it (default 64 MiB). A peer that does not
   * read costs this side at most this much; the others are not slowed.
   */
  maxBufferedBytes?: number;
  /**
   * Most bytes all accepted links of this host together may hold unread (default 512 MiB), checked four times a
   * second: past it, the links holding the most are closed with LimitExceededError until the rest fit. Without
   * it, N slow peers could hold N × `maxBufferedBytes`.
   */
  maxBufferedBytesTotal?: number;
  /** Most links accepted at once (default 10,000); one more is refused with LimitExceeded. */
  maxLinks?: number;
  /** Most links accepted at once from one remote host (default 1,024; in-process links are not counted). */
  maxLinksPerAddress?: number;
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
  /** Accepted links by remote host, for `maxLinksPerAddress`. */
  private readonly perAddress = new Map<string, number>();
  private totalCheck: ReturnType<typeof setInterval> | undefined;

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

  /** Closes every link (each peer is told first, with `reason`, that it is on purpose) and stops listening. */
  async close(reason?: string): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.totalCheck);
      for (const session of this.sessions) session.close(reason === undefined ? undefined : new ClosedError(reason));
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
    const address = link.inProcess ? undefined : remoteHost(link.remote);
    const refusal = this.refusal(address);
    if (refusal) {
      this.refuse(link, refusal);
      return;
    }
    if (address !== undefined) this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    // An acceptor's session ends with its link: a peer that comes back opens a new link and a new session.
    const session = new Session('acceptor', { ...this.options, failedAttempts: this.failedAttempts }, this.bind);
    this.sessions.add(session);
    if (!this.totalCheck) {
      this.totalCheck = setInterval(() => this.holdTotal(), TOTAL_CHECK_MS);
      this.totalCheck.unref?.();
    }
    session.onOpen(() => this.events.opened?.(session));
    session.onClosed((reason) => {
      this.sessions.delete(session);
      if (this.sessions.size === 0) {
        clearInterval(this.totalCheck);
        this.totalCheck = undefined;
      }
      if (address !== undefined) {
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.perAddress.set(address, left);
        else this.perAddress.delete(address);
      }
      this.events.closed?.(session, reason);
    });
    session.attach(link);
  }

  /**
   * Answers the peer's first frame (its Capability) with `error` and closes the link, so that its connect fails
   * with that error rather than a bare close; a peer that says nothing is closed at the handshake deadline.
   */
  private refuse(link: Link, error: QiError): void {
    const timer = setTimeout(() => link.close(error), this.options.handshakeTimeoutMs ?? 10_000);
    timer.unref?.();
    link.onClose(() => clearTimeout(timer));
    link.onFrame((frame) => {
      link.onFrame(() => {});
      link.send(buildMessage(MessageType.Error, CONTROL_CHANNEL, frameId(frame), 0, 0, error.toBody()));
      link.close();
    });
  }

  /** Closes the links holding the most unread bytes while all of them together hold more than the total bound. */
  private holdTotal(): void {
    const limit = this.options.maxBufferedBytesTotal ?? DEFAULT_MAX_BUFFERED_BYTES_TOTAL;
    let total = 0;
    for (const session of this.sessions) total += session.bufferedBytes;
    if (total <= limit) return;
    const largest = [...this.sessions].map((session) => ({ session, held: session.bufferedBytes })).sort((a, b) => b.held - a.held);
    for (const { session, held } of largest) {
      if (total <= limit || held === 0) break;
      total -= held;
      session.close(new LimitExceededError(`this endpoint's links hold more than ${limit} bytes their peers have not read; this one held ${held}`));
    }
  }

  /** Why a new link from `address` may not be accepted now, if it may not. */
  private refusal(address: string | undefined): QiError | undefined {
    const maxLinks = this.options.maxLinks ?? 10_000;
    if (this.sessions.size >= maxLinks) return new LimitExceededError(`this endpoint accepts at most ${maxLinks} links`);
    const perAddress = this.options.maxLinksPerAddress ?? 1_024;
    if (address !== undefined && (this.perAddress.get(address) ?? 0) >= perAddress) {
      return new LimitExceededError(`this endpoint accepts at most ${perAddress} links from one address`);
    }
    return undefined;
  }
}

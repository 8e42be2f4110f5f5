/** Options every factory of the public API takes. */
import type { InspectOption } from '../actor-runtime.js';
import type { Logger } from '../diagnostics.js';
import type { Authenticator, Credentials } from '../auth/authenticator.js';
import type { HeartbeatOptions } from '../session/session.js';
import type { TransportRegistry } from '../transports/registry.js';
import { platformTransports } from './platform-defaults.js';

export interface CommonOptions {
  /**
   * The transports to use by URL scheme; default: the platform's (on Node `defaultTransports()`: memory, tcp, ws, nats,
   * and tls for connecting with the system's CAs; in a browser, ws and wss).
   */
  transports?: TransportRegistry;
  /** An XState inspection observer (e.g. `@statelyai/inspect`'s `inspector.inspect`). Off unless given. */
  inspect?: InspectOption;
  /** Largest frame body accepted from a peer, in bytes (default 16 MiB). */
  maxBodySize?: number;
  /** Most channels (bindings) on one link (default 65,536). */
  maxChannels?: number;
  /**
   * Most calls one side may have in flight on one link (default 100,000), and most calls a service answers later
   * on one link (beyond, LimitExceeded).
   */
  maxPendingCalls?: number;
  /**
   * Most bytes an accepted link may hold that its peer has not read; past it that link is closed with
   * LimitExceeded (default 64 MiB, nats-server's `max_pending`).
   */
  maxBufferedBytes?: number;
  /**
   * Most bytes all accepted links of one listening handle may hold unread together (default 512 MiB, checked four
   * times a second); past it, the links holding the most are closed with LimitExceeded.
   */
  maxBufferedBytesTotal?: number;
  /** A gateway forwards at most this many unanswered calls of one binding; further calls are answered LimitExceeded (default 1,000). */
  maxCallsInFlightPerBinding?: number;
  /**
   * Most signal subscriptions a service keeps for one link, across its bindings (default 4,096; beyond,
   * LimitExceeded). A gateway subscribes once per signal for all its clients.
   */
  maxSubscriptionsPerLink?: number;
  /** Most links a listening handle accepts at once (default 10,000), and from one remote host (default 1,024). */
  maxLinks?: number;
  maxLinksPerAddress?: number;
  /** How long a new link may take to complete its handshake, in ms (default 10,000). */
  handshakeTimeoutMs?: number;
  /**
   * Liveness checks on every link this side opens or accepts (none on `memory://`): a peer silent for an
   * interval is pinged, and dropped with ConnectionLost once `maxMissed` pings in a row went unanswered (default
   * `{ intervalMs: 1000, maxMissed: 1 }`: a frozen or vanished peer is noticed within 2–3 s). Any frame from the
   * peer counts as an answer. `false` turns them off.
   */
  heartbeat?: HeartbeatOptions | false;
  /**
   * Who may open a link to what this creates (a Service, the ServiceDirectory, a Gateway): checked in the
   * handshake, before anything else is read; a refusal is Unauthorized and the link closes. Refusals are counted
   * per remote address (10 a minute, then refused at once). Built in: `tokenAuthenticator`,
   * `passwordAuthenticator`. Default: anyone.
   */
  authenticate?: Authenticator;
  /**
   * What this side presents when it opens a link (`connect`; a Service registering with its directory; a Gateway
   * reaching its directory and services): a map of strings, or a function answering each challenge.
   */
  credentials?: Credentials;
  /**
   * Where the library logs: actor states at `debug`, a signal listener that threw at `warn`, actor failures at
   * `error`. Nothing is printed without one. See also `qimessaging:frame` / `qimessaging:lifecycle` diagnostics.
   */
  logger?: Logger;
}

/** The pieces of CommonOptions each layer passes on, with defaults applied. */
export function resolveOptions(options: CommonOptions) {
  const limits = {
    maxBodySize: options.maxBodySize,
    maxChannels: options.maxChannels,
    maxPendingCalls: options.maxPendingCalls,
    maxBufferedBytes: options.maxBufferedBytes,
    maxBufferedBytesTotal: options.maxBufferedBytesTotal,
    maxCallsInFlightPerBinding: options.maxCallsInFlightPerBinding,
    maxSubscriptionsPerLink: options.maxSubscriptionsPerLink,
    maxLinks: options.maxLinks,
    maxLinksPerAddress: options.maxLinksPerAddress,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    heartbeat: options.heartbeat,
    authenticate: options.authenticate,
    credentials: options.credentials,
  };
  return { transports: options.transports ?? platformTransports(), inspect: options.inspect, logger: options.logger, limits };
}

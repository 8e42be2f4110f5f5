/**
 * The transport plugin interface. A transport knows one URL scheme and moves whole frames; nothing above it
 * knows sockets. See docs/ARCHITECTURE.md for how links are used by the actors.
 */
import type { QiError } from '../protocol/errors.js';

/** What a TLS peer's certificate says of it, for an authenticator. */
export interface PeerCertificate {
  /** The subject's common name. */
  subject: string;
  fingerprint256: string;
  /** True when it chains to a trusted CA. */
  verified: boolean;
}

export interface LinkOptions {
  /** Largest frame body accepted from the peer, in bytes (default 16 MiB). */
  maxBodySize?: number;
  /**
   * Most bytes the link may hold that its peer has not read (queued, plus the socket's buffer): past it the link
   * closes with LimitExceededError. Default: no limit (accepted links get one from their LinkHost).
   */
  maxBufferedBytes?: number;
  /**
   * The header version the link frames: 1 (qimessaging's CBOR protocol, the default) or 0 (libqi's binary protocol,
   * for lib/libqi/). A link only frames; what the bodies hold is the protocol's business. Byte-stream links only.
   */
  protocolVersion?: 0 | 1;
}

export interface ConnectOptions extends LinkOptions {
  /** Aborting gives up a connection attempt under way; the promise rejects with a ClosedError. */
  signal?: AbortSignal;
}

export type ListenOptions = LinkOptions;

/**
 * One established, bidirectional, frame-oriented link. Frames are whole (header + body); `send` hands the buffer
 * over to the link, so the sender must not touch it afterwards.
 */
export interface Link {
  /** The peer's address as a URL string, for logs and the inspector. */
  readonly remote: string;
  /** True for a link inside one process (memory://): its peer cannot freeze or vanish apart from us, so no heartbeat. */
  readonly inProcess?: boolean;
  /** The certificate the peer presented, on a TLS link (verified: it chains to a trusted CA). */
  readonly peerCertificate?: PeerCertificate | undefined;
  readonly closed: boolean;
  /**
   * Queues a frame; frames queued in one tick are written together. Returns false, and drops the frame, when
   * the link is already closed.
   */
  send(frame: Uint8Array): boolean;
  /** Sets the one handler for incoming frames. */
  onFrame(handler: (frame: Uint8Array) => void): void;
  /**
   * Sets the one handler called, once, when the link closes for any reason: `ClosedError` when closed locally,
   * `ConnectionLostError` when the peer went away, `ProtocolError` when the peer broke the protocol.
   */
  onClose(handler: (reason: QiError) => void): void;
  /** Closes the link; frames already queued are still written. Idempotent. */
  close(reason?: QiError): void;
  /** True while the link has more bytes waiting to be written than its high-water mark. */
  readonly congested: boolean;
  /**
   * Bytes sent and not yet written out: frames still queued by the link plus what the transport buffers (a TCP
   * socket's `writableLength`, a WebSocket's `bufferedAmount`). What a peer that does not read costs this side.
   * 0 once the link is closed.
   */
  readonly bufferedBytes: number;
  /** Calls `handler` once the link is no longer congested (at once if it is not). */
  onDrain(handler: () => void): void;
  /**
   * Stops reading from the peer (backpressure towards it) until `resume`: no frame is delivered after `pause`
   * returns, not even the rest of a chunk already read.
   */
  pause(): void;
  resume(): void;
}

export interface Listener {
  /** The URL actually listened on (an ephemeral port resolved), to give to peers or a directory. */
  readonly url: string;
  /** Stops accepting links and closes those accepted. Idempotent. */
  close(): Promise<void>;
}

export interface Transport {
  /** URL scheme without the colon, e.g. `tcp`. */
  readonly scheme: string;
  connect(url: URL, options?: ConnectOptions): Promise<Link>;
  listen(url: URL, onLink: (link: Link) => void, options?: ListenOptions): Promise<Listener>;
}

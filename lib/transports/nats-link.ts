/**
 * One link over NATS: a pair of subjects, each side's own inbox. What one side sends is a byte stream of whole
 * frames, unchanged, published to the peer's inbox in messages of at most the server's `max_payload`: a tick's
 * small frames go out as one message, a large frame as several, and the peer's FrameDecoder reassembles them (the
 * same decoder, and so the same `maxBodySize` check before anything is buffered, as TCP). NATS keeps the order of
 * one publisher's messages on one subject, so the stream arrives in order.
 *
 * Flow control is a credit window, because nats.js ignores its socket's backpressure and the server cuts a slow
 * consumer: a side publishes at most `window` bytes (the window its peer announced) that the peer has not yet
 * granted back in an `ack`; the rest waits here, counted in `bufferedBytes`, so `maxBufferedBytes` applies as over
 * TCP. The receiver grants credit once it has handed bytes on (not while paused: `pause` is real backpressure),
 * and closes a link whose peer sends past its window. Control messages (ack, ping, close) are header-only messages
 * on the same subject, so a close arrives after the frames sent before it. The wire protocol is in
 * docs/PROTOCOL.md ("Links over NATS"). This file does not import the NATS client: nats.ts gives it a `NatsWire`.
 */
import { ClosedError, ConnectionLostError, ProtocolError, type QiError } from '../protocol/errors.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { BaseLink } from './base-link.js';
import type { LinkOptions } from './transport.js';

/** A control message as the link sees it: its kind and fields (NATS headers), and a way to answer a request. */
export interface LinkSignal {
  readonly kind: string;
  field(name: string): string | undefined;
  /** Answers the message's reply subject with an empty message (a ping's pong); false if it has none. */
  respond(): boolean;
}

/** What a link needs of the NATS connection it runs on (nats.ts implements it over nats.js). */
export interface NatsWire {
  /** Largest message payload the server takes (its INFO `max_payload`): a larger publish throws. */
  readonly maxPayload: number;
  publish(subject: string, data: Uint8Array): void;
  /** Publishes a header-only control message. */
  signal(subject: string, kind: string, fields?: Readonly<Record<string, string>>): void;
  /** Asks whether anything listens on `subject`: false only on the server's no-responders answer. */
  probe(subject: string, timeoutMs: number): Promise<boolean>;
  /** Subscribes; data messages go to `onData`, header-only ones to `onSignal`. Returns the unsubscribe. */
  subscribe(subject: string, onData: (data: Uint8Array) => void, onSignal: (signal: LinkSignal) => void, onError: (err: Error) => void): () => void;
}

/** Header names and control kinds of the link protocol (docs/PROTOCOL.md). */
export const LINK_HEADER = { kind: 'Qi-Link', inbox: 'Qi-Inbox', window: 'Qi-Window', credit: 'Qi-Credit', reason: 'Qi-Reason', client: 'Qi-Client' } as const;

export interface NatsLinkOptions extends LinkOptions {
  /** Bytes this side lets its peer send ahead of its acks (what it announces). */
  window: number;
  /** Probe the peer when nothing came from it for this long (ms). */
  probeIntervalMs: number;
  /** Called once the link has let go of its subscription, so its connection can be released. */
  onRelease: () => void;
}

/** Queued frames past this make the link congested (as TcpLink's QUEUED_HIGH_WATER_MARK). */
const HIGH_WATER_MARK = 1 << 20;
/** How long a locally closed link keeps sending what it holds (as credit comes) before it gives up. */
const CLOSE_GRACE_MS = 2_000;

export class NatsLink extends BaseLink {
  private readonly decoder: FrameDecoder;
  private peerInbox: string | undefined;
  /** The window the peer announced: most bytes in flight to it. */
  private sendWindow = 0;
  private inFlight = 0;
  /** Frames (or the rest of one) waiting for credit, oldest first; `heldOffset` bytes of the first already sent. */
  private held: Uint8Array[] = [];
  private heldOffset = 0;
  private heldBytes = 0;
  /** Bytes received and not yet granted back. */
  private unacked = 0;
  private readonly ackThreshold: number;
  /** Messages received, for the probe: a peer that sends anything is there. */
  private activity = 0;
  private activitySeen = 0;
  private probing = false;
  private readonly probeTimer: ReturnType<typeof setInterval>;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set once closed locally with frames still held: the link sends them as credit comes, then its close. */
  private closing: QiError | undefined;
  private released = false;
  /** True until the first frame handler is set: frames that come before it wait. */
  private awaitingHandler = true;
  private readonly unsubscribe: () => void;
  private readonly onFrameBound = (frame: Uint8Array): void => this.deliver(frame);

  constructor(
    private readonly wire: NatsWire,
    /** This side's inbox: the subject the peer publishes to. */
    readonly inbox: string,
    remote: string,
    private readonly options: NatsLinkOptions,
  ) {
    super(remote, options);
    this.decoder = new FrameDecoder({ maxBodySize: options.maxBodySize });
    this.decoder.paused = true;
    this.ackThreshold = Math.max(1, Math.floor(options.window / 4));
    this.unsubscribe = wire.subscribe(inbox, this.onData, this.onSignal, (err) =>
      this.lost(new ConnectionLostError(`nats link to ${remote} failed: ${err.message}`)),
    );
    this.probeTimer = setInterval(this.probe, options.probeIntervalMs);
    this.probeTimer.unref?.();
  }

  /** The peer's inbox and window, once known (at once on the accepting side, from the open reply on the other). */
  connectTo(peerInbox: string, peerWindow: number): void {
    this.peerInbox = peerInbox;
    this.sendWindow = peerWindow;
    this.pump();
  }

  override onFrame(handler: (frame: Uint8Array) => void): void {
    super.onFrame(handler);
    if (this.awaitingHandler) {
      this.awaitingHandler = false;
      this.resume();
    }
  }

  override get congested(): boolean {
    return this.heldBytes > HIGH_WATER_MARK || this.queuedBytes >= HIGH_WATER_MARK;
  }

  pause(): void {
    this.decoder.paused = true;
  }

  resume(): void {
    if (!this.decoder.paused || this.awaitingHandler) return;
    try {
      this.decoder.resume(this.onFrameBound);
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
      return;
    }
    this.grantCredit();
  }

  /** The NATS connection went down: what is sent meanwhile is dropped, so the link is lost. */
  connectionLost(reason: QiError): void {
    if (this.closed) this.release();
    else this.lost(reason);
  }

  /** Frames waiting for credit: what a peer that does not read costs this side, past the window in flight. */
  protected override backlog(): number {
    return this.heldBytes;
  }

  protected writeFrames(frames: Uint8Array[]): void {
    for (const frame of frames) {
      this.held.push(frame);
      this.heldBytes += frame.length;
    }
    this.pump();
  }

  protected closeTransport(reason: QiError): void {
    // A local close sends what is held first (as over TCP, within a grace period); anything else cuts at once.
    if (reason instanceof ClosedError && this.heldBytes > 0 && this.peerInbox !== undefined) {
      this.closing = reason;
      this.closeTimer = setTimeout(() => this.finishClose(reason), CLOSE_GRACE_MS);
      this.closeTimer.unref?.();
      return;
    }
    this.finishClose(reason);
  }

  /** Publishes held bytes while the peer's window has room, in messages of at most `max_payload`. */
  private pump(): void {
    if (this.peerInbox === undefined || this.released) return;
    const wasCongested = this.heldBytes > HIGH_WATER_MARK;
    const maxPayload = this.wire.maxPayload;
    try {
      while (this.heldBytes > 0) {
        const room = this.sendWindow - this.inFlight;
        if (room <= 0) break;
        const size = Math.min(this.heldBytes, maxPayload, room);
        this.wire.publish(this.peerInbox, this.take(size));
        this.inFlight += size;
      }
    } catch (err) {
      this.connectionLost(new ConnectionLostError(`nats link to ${this.remote} cannot publish: ${(err as Error).message}`));
      return;
    }
    if (this.closing && this.heldBytes === 0) this.finishClose(this.closing);
    else if (wasCongested && !this.congested) this.drained();
  }

  /** The next `size` held bytes: a view when they lie in one frame, else one copy of several. */
  private take(size: number): Uint8Array {
    this.heldBytes -= size;
    const first = this.held[0]!;
    const left = first.length - this.heldOffset;
    if (size <= left) {
      const view = this.heldOffset === 0 && size === first.length ? first : first.subarray(this.heldOffset, this.heldOffset + size);
      if (size === left) this.dropFirst();
      else this.heldOffset += size;
      return view;
    }
    const out = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.held[0]!;
      const n = Math.min(chunk.length - this.heldOffset, size - filled);
      out.set(chunk.subarray(this.heldOffset, this.heldOffset + n), filled);
      filled += n;
      if (this.heldOffset + n === chunk.length) this.dropFirst();
      else this.heldOffset += n;
    }
    return out;
  }

  private dropFirst(): void {
    this.held.shift();
    this.heldOffset = 0;
  }

  private readonly onData = (data: Uint8Array): void => {
    this.activity++;
    if (this.closed) return;
    this.unacked += data.length;
    if (this.unacked > this.options.window) {
      this.close(new ProtocolError(`peer sent ${this.unacked} bytes past the ${this.options.window}-byte window it was granted`));
      return;
    }
    try {
      this.decoder.push(data, this.onFrameBound);
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
      return;
    }
    this.grantCredit();
  };

  /** Acks what was handed on (or is a partial frame, bounded by the decoder), once it is a quarter of the window. */
  private grantCredit(): void {
    if (this.closed || this.peerInbox === undefined) return;
    const release = this.unacked - (this.decoder.paused ? this.decoder.pendingBytes : 0);
    if (release < this.ackThreshold) return;
    this.unacked -= release;
    this.safeSignal('ack', { [LINK_HEADER.credit]: String(release) });
  }

  private readonly onSignal = (signal: LinkSignal): void => {
    this.activity++;
    switch (signal.kind) {
      case 'ack': {
        const credit = Number(signal.field(LINK_HEADER.credit));
        if (!Number.isSafeInteger(credit) || credit <= 0 || credit > this.inFlight) {
          this.close(new ProtocolError(`peer granted ${signal.field(LINK_HEADER.credit) ?? 'no'} bytes of credit with ${this.inFlight} in flight`));
          return;
        }
        this.inFlight -= credit;
        this.pump();
        return;
      }
      case 'ping':
        signal.respond();
        return;
      case 'close': {
        const why = signal.field(LINK_HEADER.reason);
        if (this.closed) this.release();
        else this.lost(new ConnectionLostError(`nats link to ${this.remote} closed by peer${why ? `: ${why}` : ''}`));
        return;
      }
      default:
      // A kind from a later version of the protocol: nothing this side must do.
    }
  };

  /** Nothing came from the peer for a whole interval: ask the server whether its inbox still has a listener. */
  private readonly probe = (): void => {
    if (this.activity !== this.activitySeen || this.probing || this.peerInbox === undefined) {
      this.activitySeen = this.activity;
      return;
    }
    this.probing = true;
    void this.wire.probe(this.peerInbox, this.options.probeIntervalMs).then((listening) => {
      this.probing = false;
      if (listening) return;
      const gone = new ConnectionLostError(`nats link to ${this.remote} lost: nothing listens on the peer's inbox any more (no responders)`);
      if (this.closed) this.release();
      else this.lost(gone);
    });
  };

  private finishClose(reason: QiError): void {
    if (this.released) return;
    // Tell the peer why, unless it is the one that went away.
    if (!(reason instanceof ConnectionLostError) && this.peerInbox !== undefined) {
      this.safeSignal('close', reason instanceof ClosedError ? {} : { [LINK_HEADER.reason]: reason.message.slice(0, 200) });
    }
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.probeTimer);
    clearTimeout(this.closeTimer);
    this.held = [];
    this.heldBytes = 0;
    this.unsubscribe();
    this.options.onRelease();
  }

  private safeSignal(kind: string, fields?: Record<string, string>): void {
    try {
      this.wire.signal(this.peerInbox!, kind, fields);
    } catch {
      // The connection is closing: its own status tells every link.
    }
  }
}

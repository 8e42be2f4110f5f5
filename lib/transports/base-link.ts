/**
 * What every link shares: one frame and one close handler, a close that happens once with a typed reason, and
 * write coalescing. Frames sent during one tick are gathered and handed to `writeFrames` together on
 * `process.nextTick` (never on a timer), so a burst of small frames costs one socket write. (TcpLink defers a
 * second flush in one event-loop iteration to the check phase: poll-phase-flush.ts.)
 *
 * A link may be given `maxBufferedBytes`: once what it holds unwritten (queued here plus the transport's own
 * backlog) would pass it, the link closes with LimitExceededError and drops what it held, as NATS disconnects a
 * slow consumer. Accepted links get one from their LinkHost; without one, a link buffers without bound.
 */
import { ClosedError, ConnectionLostError, LimitExceededError, ProtocolError, type QiError } from '../protocol/errors.js';
import type { Link } from './transport.js';
import { nextTick } from '../next-tick.js';

const ignoreFrame = (): void => {};
const ignoreClose = (): void => {};

export abstract class BaseLink implements Link {
  readonly remote: string;
  private frameHandler: (frame: Uint8Array) => void = ignoreFrame;
  private closeHandler: (reason: QiError) => void = ignoreClose;
  private outbox: Uint8Array[] = [];
  private flushScheduled = false;
  private isClosed = false;
  private drainHandlers: Array<() => void> = [];
  /** Bytes of the frames in `outbox`. */
  protected queuedBytes = 0;
  private readonly maxBufferedBytes: number;
  /**
   * What `send` may queue before it looks at the transport's backlog: the limit less the backlog at the last
   * flush. The backlog only shrinks between flushes, so this errs low; `send` then computes it afresh before
   * deciding. One addition and one comparison per frame, and no transport call on the hot path.
   */
  private room: number;

  protected constructor(remote: string, options: { maxBufferedBytes?: number } = {}) {
    this.remote = remote;
    this.maxBufferedBytes = options.maxBufferedBytes ?? Infinity;
    this.room = this.maxBufferedBytes;
  }

  /** Bytes sent but not yet written out: queued here plus the transport's backlog; 0 once closed. */
  get bufferedBytes(): number {
    return this.isClosed ? 0 : this.queuedBytes + this.backlog();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get congested(): boolean {
    return false;
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandler = handler;
  }

  onClose(handler: (reason: QiError) => void): void {
    this.closeHandler = handler;
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    this.outbox.push(frame);
    if ((this.queuedBytes += frame.length) > this.room && this.overLimit()) return false;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.scheduleFlush(this.flush, frame.length);
    }
    return true;
  }

  onDrain(handler: () => void): void {
    if (!this.congested || this.isClosed) handler();
    else this.drainHandlers.push(handler);
  }

  close(reason: QiError = new ClosedError(`link to ${this.remote} closed`)): void {
    if (this.isClosed) return;
    this.flush();
    this.finish(reason);
    this.closeTransport(reason);
  }

  abstract pause(): void;
  abstract resume(): void;

  /** Writes a batch of frames, `bytes` long in all, in order. Called at most once per tick. */
  protected abstract writeFrames(frames: Uint8Array[], bytes: number): void;
  /** Releases the underlying socket; queued frames were already handed to `writeFrames`. */
  protected abstract closeTransport(reason: QiError): void;

  /**
   * When a tick's frames are written: after the current job (`nextTick`); a socket link may wait longer (tcp.ts).
   * `firstFrameBytes` is the size of the frame that made the flush due.
   */
  protected scheduleFlush(flush: () => void, _firstFrameBytes: number): void {
    nextTick(flush);
  }

  /** Bytes the transport holds that it has not written yet (a socket's write buffer). */
  protected backlog(): number {
    return 0;
  }

  /** Subclasses call this for each complete frame received. */
  protected deliver(frame: Uint8Array): void {
    if (this.isClosed) return;
    try {
      this.frameHandler(frame);
    } catch (err) {
      // Handlers are the library's own; a throw is a bug, and it must cost this link only, never the process.
      this.close(new ProtocolError(`frame handler failed: ${(err as Error).message}`));
    }
  }

  /** Subclasses call this when the peer went away or broke the protocol. */
  protected lost(reason: QiError = new ConnectionLostError(`link to ${this.remote} lost`)): void {
    if (this.isClosed) return;
    this.outbox = [];
    this.queuedBytes = 0;
    this.finish(reason);
    this.closeTransport(reason);
  }

  /** Subclasses call this when their write buffer has drained below the high-water mark. */
  protected drained(): void {
    const handlers = this.drainHandlers;
    this.drainHandlers = [];
    for (const handler of handlers) handler();
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.outbox.length === 0 || this.isClosed) return;
    const frames = this.outbox;
    const bytes = this.queuedBytes;
    this.outbox = [];
    this.queuedBytes = 0;
    this.writeFrames(frames, bytes);
    if (this.maxBufferedBytes !== Infinity) this.room = this.maxBufferedBytes - this.backlog();
    // Congested only by what was queued, and the transport took it all at once: no drain event will come.
    if (this.drainHandlers.length > 0 && !this.congested) this.drained();
  };

  /** `send` passed `room`: closes the link (true) if it now holds more than its limit. */
  private overLimit(): boolean {
    const backlog = this.backlog();
    this.room = this.maxBufferedBytes - backlog;
    if (this.queuedBytes <= this.room) return false;
    // What is queued is dropped, not written: the peer is not reading it, and writing it would only hold it longer.
    this.lost(
      new LimitExceededError(
        `link to ${this.remote} holds more than ${this.maxBufferedBytes} bytes its peer has not read (${this.queuedBytes + backlog})`,
      ),
    );
    return true;
  }

  private finish(reason: QiError): void {
    this.isClosed = true;
    const handler = this.closeHandler;
    this.frameHandler = ignoreFrame;
    this.closeHandler = ignoreClose;
    handler(reason);
    this.drained();
  }
}

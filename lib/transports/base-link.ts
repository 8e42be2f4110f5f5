/**
 * What every link shares: one frame and one close handler, a close that happens once with a typed reason, and
 * write coalescing. Frames sent during one tick are gathered and handed to `writeFrames` together on
 * `process.nextTick` (never on a timer), so a burst of small frames costs one socket write.
 */
import { ClosedError, ConnectionLostError, ProtocolError, type QiError } from '../protocol/errors.js';
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

  protected constructor(remote: string) {
    this.remote = remote;
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
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      nextTick(this.flush);
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

  /** Writes a batch of frames, in order. Called at most once per tick. */
  protected abstract writeFrames(frames: Uint8Array[]): void;
  /** Releases the underlying socket; queued frames were already handed to `writeFrames`. */
  protected abstract closeTransport(reason: QiError): void;

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
    this.outbox = [];
    this.writeFrames(frames);
  };

  private finish(reason: QiError): void {
    this.isClosed = true;
    const handler = this.closeHandler;
    this.frameHandler = ignoreFrame;
    this.closeHandler = ignoreClose;
    handler(reason);
    this.drained();
  }
}

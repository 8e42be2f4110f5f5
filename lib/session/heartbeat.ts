/**
 * The heartbeat of one open link, on both sides: at the end of each `intervalMs` in which nothing came from the
 * peer, a ping is sent, up to `maxMissed` pings in a row; the next silent interval closes the link with
 * ConnectionLost. So a silent peer is dropped between (maxMissed + 1) and (maxMissed + 2) intervals after the
 * last frame it sent (2–3 s by default). Any frame counts, not only ping answers, so a peer busy streaming replies
 * is never dropped for answering a ping late; a peer whose event loop is blocked that long is. In-process links
 * have none: their peer cannot freeze or vanish apart from us.
 *
 * Silence is counted in observed time. A beat that comes late (this process was stalled: stopped, in a long GC,
 * starved on a loaded machine) runs before the event loop has read what the peer sent meanwhile, so the answer to
 * the last ping, sent in time, would count as a miss: a late beat judges nothing, and the next one, one interval
 * on, does. Only one beat in a row is passed over, so a process late at every beat still drops a silent peer.
 */
import { ConnectionLostError } from '../protocol/errors.js';
import type { Link } from '../transports/transport.js';

export interface HeartbeatOptions {
  /** How often to check that the peer is alive, in ms (default 1,000). */
  intervalMs?: number;
  /** Pings that may go unanswered in a row (default 1, at least 1): the silent interval after the last closes the link. */
  maxMissed?: number;
}

export const DEFAULT_HEARTBEAT: Required<HeartbeatOptions> = { intervalMs: 1_000, maxMissed: 1 };

/** A beat this many intervals after the last one came late: its process was not running in between. */
const LATE_BEAT = 1.5;

export class Heartbeat {
  private readonly timer: ReturnType<typeof setInterval>;
  private framesSeen: number;
  /** Silent intervals since the peer last sent anything: each sends a ping, until one too many closes the link. */
  private silent = 0;
  /** When the last beat ran (ms, monotonic), and whether it was passed over for coming late. */
  private lastBeat = performance.now();
  private passedOver = false;

  constructor(
    private readonly link: Link,
    private readonly options: Required<HeartbeatOptions>,
    /** Frames received so far (only whether it changed matters), or -1 while this side is not reading. */
    private readonly framesIn: () => number,
    private readonly ping: () => void,
  ) {
    this.framesSeen = framesIn();
    this.timer = setInterval(() => this.beat(), options.intervalMs);
    // A heartbeat alone must not keep a process alive: the link's socket does that while it is open.
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    const now = performance.now();
    const late = now - this.lastBeat > this.options.intervalMs * LATE_BEAT;
    this.lastBeat = now;
    if (late && !this.passedOver) {
      this.passedOver = true;
      return;
    }
    this.passedOver = false;
    const framesIn = this.framesIn();
    // Paused by this side (backpressure): what the peer sends waits unread, so its silence proves nothing.
    if (framesIn < 0) {
      this.silent = 0;
      return;
    }
    if (framesIn !== this.framesSeen) {
      this.framesSeen = framesIn;
      this.silent = 0;
      return;
    }
    if (++this.silent > Math.max(1, this.options.maxMissed)) {
      const silence = this.options.intervalMs * this.silent;
      this.link.close(new ConnectionLostError(`nothing from ${this.link.remote} for ${silence} ms: the peer missed its heartbeats`));
      return;
    }
    this.ping();
  }
}

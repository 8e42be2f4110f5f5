/**
 * When a socket link writes the frames it queued. Its first flush in an event-loop iteration runs on `nextTick`,
 * right after the job that queued the frames, as every link does; a second one in the same iteration waits for
 * `setImmediate`, the check phase after this poll phase's socket reads. A gateway reads one frame from each of
 * 1,000 client sockets in one poll phase: each read's flush of the one upstream link was a write syscall of its own
 * (a write per call), and now the rest of that poll phase's frames go up in one. A link fed by one socket flushes
 * once per iteration, on `nextTick`, as before. A large frame is not held back: it is a write worth its syscall
 * alone, and waiting for the check phase cost 256 KiB echoes a fifth of their throughput (0.95 → 0.75 of the raw
 * relay, same run).
 */
import { nextTick } from '../next-tick.js';

/** Event-loop iterations in which something was flushed, counted by one setImmediate per such iteration. */
let iteration = 0;
let counting = false;
const nextIteration = (): void => {
  iteration++;
  counting = false;
};

/** A frame this large makes its flush due at once, whatever the iteration. */
const LARGE_FRAME_BYTES = 16 << 10;

export class PollPhaseFlush {
  private lastIteration = -1;

  schedule(flush: () => void, firstFrameBytes: number): void {
    if (this.lastIteration === iteration && firstFrameBytes < LARGE_FRAME_BYTES) {
      setImmediate(flush);
      return;
    }
    this.lastIteration = iteration;
    nextTick(flush);
    if (!counting) {
      counting = true;
      setImmediate(nextIteration);
    }
  }
}

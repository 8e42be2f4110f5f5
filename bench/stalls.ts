/**
 * The bench process's longest event-loop stall, per group. The bench is a client of its children over TCP, and with
 * the default heartbeat a child drops a link whose peer leaves a ping unanswered for a second: a stall of about a
 * second on an idle link failed the next row measured on it (the children now allow 5 unanswered, bench/role.ts). A stall also lands on the clock of whichever side was
 * being measured. The run prints and records each group's longest (`groupStallMs` in latest.json), and names a
 * failed group's stall past STALL_WARNING_MS. Some groups stall by design: bindings-scale's forced collections of a
 * 1.5 GB heap take ~1.7 s each, signal-fanout's baseline emits 50,000 events in one loop.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** A stall this long is named when its group failed: with the default heartbeat, long enough to lose an idle link. */
export const STALL_WARNING_MS = 1_000;

export class StallMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.histogram.enable();
  }

  /** The longest stall since the last call, in ms, and starts counting again. */
  takeLongestMs(): number {
    const longest = this.histogram.max / 1e6;
    this.histogram.reset();
    return longest;
  }

  stop(): void {
    this.histogram.disable();
  }
}

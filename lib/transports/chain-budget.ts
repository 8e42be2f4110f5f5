/**
 * When an in-process link's flush runs. On `nextTick`, after the job that queued the frames, so an in-process hop
 * costs a function call and not an event-loop turn. But calls answered by calls then run as one unbroken chain of
 * ticks, and the event loop waits for the chain's end: timers, socket reads and the heartbeats of the process's other
 * links with it. A burst of 400,000 in-process calls held the loop for 0.8 s, 100,000 binds for 90 s, while with the
 * default heartbeat a TCP peer drops a link whose ping goes unanswered for about a second. So once flushes have run
 * for CHAIN_BUDGET_MS without the loop turning, every further flush waits for `setImmediate`: the loop runs its
 * timers and I/O, then the chain goes on.
 *
 * The clock and `setImmediate` are the ones of when this module loaded: a spec's fake timers must not stop links.
 */
import { nextTick } from '../next-tick.js';

/** How long a chain of in-process flushes may hold the event loop. */
export const CHAIN_BUDGET_MS = 10;
/** Flushes between two looks at the clock (a look costs ~30 ns, a flush carries a tick's frames). */
const FLUSHES_PER_LOOK = 16;

const now: () => number = performance.now.bind(performance);
const yieldToLoop: (callback: () => void) => void =
  typeof setImmediate === 'function' ? setImmediate : (callback) => void setTimeout(callback, 0);

/** True while a `setImmediate` is queued that marks the loop's next turn. */
let turnAwaited = false;
/** When the current chain began (its first flush since the loop last turned). */
let chainStarted = 0;
let flushesSinceLook = 0;
/** The chain has used its budget: flushes wait for the loop's turn. */
let overBudget = false;

const turned = (): void => {
  turnAwaited = false;
  overBudget = false;
};

/** Runs `flush` after the current job, or after the event loop's next turn once the chain is over budget. */
export function scheduleInProcessFlush(flush: () => void): void {
  if (!turnAwaited) {
    turnAwaited = true;
    chainStarted = now();
    flushesSinceLook = 0;
    yieldToLoop(turned);
  } else if (!overBudget && ++flushesSinceLook >= FLUSHES_PER_LOOK) {
    flushesSinceLook = 0;
    overBudget = now() - chainStarted > CHAIN_BUDGET_MS;
  }
  if (overBudget) yieldToLoop(flush);
  else nextTick(flush);
}

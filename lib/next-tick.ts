/** `process.nextTick` where there is one (Node), else a microtask (browsers): the same "after this job" timing. */
export const nextTick: (callback: () => void) => void =
  typeof process === 'object' && typeof process.nextTick === 'function' ? process.nextTick : queueMicrotask;

/**
 * A signal's emissions as an async iterator. Emissions are buffered until read, so none is lost between two
 * `next()` calls; the iterator ends when the binding ends, or unsubscribes when the reader stops (`break`).
 */
import type { ClientChannel, SignalListener } from '../client/client-channel.js';

/** `onBindingEnd(listener)` calls `listener` once the binding ends and returns an unsubscribe function. */
export function signalIterator(
  channel: ClientChannel,
  signal: string,
  onBindingEnd: (listener: () => void) => () => void,
): AsyncIterableIterator<unknown[]> {
  const buffered: unknown[][] = [];
  const waiting: Array<(result: IteratorResult<unknown[]>) => void> = [];
  let done = false;
  let failure: unknown;

  const finish = (): void => {
    done = true;
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
  };
  const listener: SignalListener = (...args) => {
    const resolve = waiting.shift();
    if (resolve) resolve({ value: args, done: false });
    else buffered.push(args);
  };
  const stopWatching = onBindingEnd(finish);
  const subscribed = channel.subscribe(signal, listener).catch((err: unknown) => {
    failure = err;
    finish();
  });

  const iterator: AsyncIterableIterator<unknown[]> = {
    async next() {
      await subscribed;
      if (failure) throw failure;
      const value = buffered.shift();
      if (value) return { value, done: false };
      if (done) return { value: undefined, done: true };
      return new Promise((resolve) => waiting.push(resolve));
    },
    async return() {
      stopWatching();
      finish();
      await channel.unsubscribe(signal, listener).catch(() => undefined);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * A signal's emissions as an async iterator. Emissions are buffered until read, so none is lost between two
 * `next()` calls. When the binding ends, what was buffered is still read, then the loop ends: normally if the
 * client was closed by its owner, by throwing the reason otherwise (ServiceGone, ConnectionLost), so that a loop
 * can tell the two apart. It unsubscribes when the reader stops (`break`). `ready` resolves, with the iterator,
 * once the subscription is in place at the service (through a gateway too), so that an emission the app causes
 * next is not missed.
 */
import type { ClientChannel, SignalListener } from '../client/client-channel.js';

/** A signal's emissions as an async iterator, and a promise of the subscription. */
export interface SignalIterator<Args extends unknown[]> extends AsyncIterableIterator<Args> {
  /**
   * Resolves with this iterator once the subscription is in place at the service; rejects with the reason if it
   * could not be made. `for await (const [word] of await tts.signal('spoke').ready) …`
   */
  readonly ready: Promise<SignalIterator<Args>>;
}

/**
 * `onBindingEnd(listener)` calls `listener` once the binding ends, with the reason (undefined when closed by its
 * owner), and returns an unsubscribe function.
 */
export function signalIterator(
  channel: ClientChannel,
  signal: string,
  onBindingEnd: (listener: (reason: unknown) => void) => () => void,
): SignalIterator<unknown[]> {
  const buffered: unknown[][] = [];
  const waiting: Array<{ resolve(result: IteratorResult<unknown[]>): void; reject(reason: unknown): void }> = [];
  let done = false;
  let failure: unknown;

  const finish = (reason?: unknown): void => {
    if (done) return;
    done = true;
    failure = reason;
    for (const reader of waiting.splice(0)) {
      if (reason === undefined) reader.resolve({ value: undefined, done: true });
      else reader.reject(reason);
    }
  };
  const listener: SignalListener = (...args) => {
    const reader = waiting.shift();
    if (reader) reader.resolve({ value: args, done: false });
    else buffered.push(args);
  };
  const stopWatching = onBindingEnd(finish);
  const subscription = channel.subscribe(signal, listener);
  const subscribed = subscription.catch((err: unknown) => finish(err));
  // Made when asked for only: a `ready` nobody awaits must not be an unhandled rejection.
  let ready: Promise<SignalIterator<unknown[]>> | undefined;

  const iterator: SignalIterator<unknown[]> = {
    get ready() {
      ready ??= subscription.then(() => iterator);
      return ready;
    },
    async next() {
      await subscribed;
      const value = buffered.shift();
      if (value) return { value, done: false };
      if (failure !== undefined) throw failure;
      if (done) return { value: undefined, done: true };
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
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

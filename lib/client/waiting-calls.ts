/**
 * Calls made while a binding is suspended (its connection is reconnecting): each waits for the binding to be back,
 * at most until its own deadline, then goes out with the time it has left. Bounded: past `max` waiting calls, a
 * new one fails at once with LimitExceeded. Nothing waiting is ever sent twice: a call either waits here and is
 * sent once, or fails.
 */
import { LimitExceededError, TimeoutError, type QiError } from '../protocol/errors.js';
import { abortError } from './abort-error.js';

interface Waiter {
  run(): void;
  fail(error: QiError): void;
}

export class WaitingCalls {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.waiters.size;
  }

  /**
   * Resolves with `send(timeLeft)` once `resume` is called, or rejects: on `failAll`, when `timeout` ms pass
   * (TimeoutError), when `signal` aborts (CanceledError). `timeLeft` is what remains of `timeout`, if any.
   */
  wait<T>(send: (timeLeft: number | undefined) => Promise<T>, timeout: number | undefined, signal: AbortSignal | undefined): Promise<T> {
    if (this.waiters.size >= this.max) {
      return Promise.reject(new LimitExceededError(`${this.max} calls already wait for this client to be bound again`));
    }
    if (signal?.aborted) return Promise.reject(abortError(signal, 'the call was canceled before it was sent'));
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.waiters.delete(waiter);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        run: () => {
          done();
          resolve(send(deadline === undefined ? undefined : Math.max(0, deadline - Date.now())));
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.fail(abortError(signal!, 'the call was canceled while waiting for the connection'));
      const timer = timeout === undefined ? undefined : setTimeout(() => waiter.fail(new TimeoutError(`not sent within ${timeout} ms: the connection was still reconnecting`)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** The binding is back: every waiting call goes out, in the order they were made. */
  resume(): void {
    for (const waiter of [...this.waiters]) waiter.run();
  }

  /** The binding ended: every waiting call fails with `error`. */
  failAll(error: QiError): void {
    for (const waiter of [...this.waiters]) waiter.fail(error);
  }
}

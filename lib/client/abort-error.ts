/**
 * The error a call fails with when its AbortSignal fires: TimeoutError when the signal says it timed out
 * (`AbortSignal.timeout(ms)`), CanceledError otherwise. One rule for every call, waiting or sent.
 */
import { CanceledError, TimeoutError, type QiError } from '../protocol/errors.js';

export function abortError(signal: AbortSignal, canceled: string): QiError {
  const reason: unknown = signal.reason;
  if (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError') {
    return new TimeoutError(`${canceled}: its signal timed out`);
  }
  return new CanceledError(canceled);
}

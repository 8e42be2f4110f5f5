/**
 * What a Connection or a ServiceClient tells the app as it goes: derived from its actor's state changes, so the
 * actor stays the one record of what happened.
 */
import type { AnyActorRef } from 'xstate';
import { restoreError, type ErrorSummary } from '../actor-runtime.js';
import type { QiError } from '../protocol/errors.js';
import { endReason, onActorEnd } from './lifecycle.js';

export type Status =
  /** The link was lost (a connection), or the client's binding with it; reconnection follows unless turned off. */
  | { status: 'disconnected'; error: QiError }
  /** A connection is about to try again; `attempt` counts from 1 since the link was last up. */
  | { status: 'reconnecting'; attempt: number }
  /** A connection has its link back; its clients bind again by themselves. */
  | { status: 'reconnected' }
  /** A client is bound again on the new link, its subscriptions in place. */
  | { status: 'rebound' }
  /** For good: `error` is why, or undefined when closed by its owner. */
  | { status: 'ended'; error: QiError | undefined };

interface Snapshot {
  value: unknown;
  context: { error: ErrorSummary | null; attempt?: number };
}

/** The top-level state's name: `{ reconnecting: 'waiting' }` is `reconnecting`. */
function topState(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0] ?? '';
}

/** Calls `listener` with each status change of `actor` from now on. Returns an unsubscribe function. */
export function watchStatus(actor: AnyActorRef, listener: (status: Status) => void): () => void {
  let previous = actor.getSnapshot() as Snapshot;
  let previousAttempt = previous.context.attempt ?? 0;
  const subscription = actor.subscribe((next: Snapshot) => {
    const from = topState(previous.value);
    const to = topState(next.value);
    const attempt = next.context.attempt ?? 0;
    const error = next.context.error ? restoreError(next.context.error) : undefined;
    if (from !== to && (to === 'reconnecting' || to === 'suspended') && error) listener({ status: 'disconnected', error });
    if (to === 'reconnecting' && attempt !== previousAttempt && attempt > 0) listener({ status: 'reconnecting', attempt });
    if (from === 'reconnecting' && to === 'open') listener({ status: 'reconnected' });
    if (from === 'suspended' && to === 'bound') listener({ status: 'rebound' });
    previous = next;
    previousAttempt = attempt;
  });
  const stopEnd = onActorEnd(actor, () => listener({ status: 'ended', error: endReason(actor) }));
  return () => {
    subscription.unsubscribe();
    stopEnd();
  };
}

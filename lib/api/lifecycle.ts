/** Waiting on an actor from a promise-based handle. */
import { waitFor, type Actor, type AnyActorRef, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import { restoreError, type ErrorSummary } from '../actor-runtime.js';
import { toQiError, type QiError } from '../protocol/errors.js';

/** Resolves with the first snapshot in state `ready`, or the final one if the machine ended without it. */
export function settled<TMachine extends AnyStateMachine>(
  actor: Actor<TMachine>,
  ready: string,
): Promise<SnapshotFrom<TMachine>> {
  return waitFor(actor, (s) => {
    const snapshot = s as unknown as { matches(value: string): boolean; status: string };
    return snapshot.matches(ready) || snapshot.status !== 'active';
  });
}

/**
 * Sends CLOSE and resolves once the actor reached a final state. Every machine of the library has a path from
 * any state to a final one on CLOSE, and reaching it runs XState's own stop procedure, so this also works for
 * actors created with a `parent`, which XState does not let us `stop()` directly. Idempotent.
 */
export async function closeActor(actor: AnyActorRef): Promise<void> {
  if (actor.getSnapshot().status !== 'active') return;
  actor.send({ type: 'CLOSE' });
  await waitFor(actor, (s) => s.status !== 'active').catch(() => undefined);
}

/**
 * Calls `listener` once when `actor` ends, done, stopped or failed (at once, but after returning, if it already
 * has: XState tells a late subscriber of a stopped actor nothing). Returns an unsubscribe function.
 */
export function onActorEnd(actor: AnyActorRef, listener: () => void): () => void {
  if (actor.getSnapshot().status !== 'active') {
    let active = true;
    queueMicrotask(() => active && listener());
    return () => (active = false);
  }
  const subscription = actor.subscribe({ complete: listener, error: listener });
  return () => subscription.unsubscribe();
}

/**
 * Why an actor of the library ended: undefined when its owner closed it (final state `closed`), else the typed
 * error its context recorded.
 */
export function endReason(actor: AnyActorRef): QiError | undefined {
  const snapshot = actor.getSnapshot() as { value: unknown; context: { error: ErrorSummary | null }; error?: unknown };
  if (snapshot.value === 'closed') return undefined;
  return snapshot.context.error ? restoreError(snapshot.context.error) : toQiError(snapshot.error ?? 'ended');
}

/**
 * How the library starts its actors. XState has no supervision: an actor whose action throws is dead, and a root
 * actor with no error subscriber rethrows from a timer, which would crash the embedding process. So every actor
 * started here gets an error subscriber, and `inspect` is passed only when the user asked for it (even a no-op
 * observer slows a machine several times).
 */
import { lifecycleDiagnostics, type LifecycleMessage, type Logger } from './diagnostics.js';
import { ClosedError, ConnectionLostError, isErrorCode, qiError, type QiError } from './protocol/errors.js';
import { createActor, type AnyActorLogic, type AnyActorRef, type InspectionEvent, type Observer, type InputFrom, type Actor } from 'xstate';

/** An XState inspection observer, e.g. from `@statelyai/inspect`'s `inspector.inspect`. */
export type InspectOption = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export interface StartOptions<TLogic extends AnyActorLogic> {
  input: InputFrom<TLogic>;
  systemId?: string;
  inspect?: InspectOption | undefined;
  /** Joins the parent's actor system (inspection, system ids) without being in its children map. */
  parent?: AnyActorRef | undefined;
  /** Where an actor's unexpected failure is reported; it never escapes into the process. */
  onError?: (error: unknown) => void;
  /** Lifecycle at `debug`, failures at `error`. */
  logger?: Logger | undefined;
  /**
   * Told once when the actor ends: `failed` with its error, or not (done or stopped). The owner's watch rides on
   * the one observer every actor has here: a second observer would cost ~250 bytes per actor, and there is one
   * client and one forwarder actor per binding.
   */
  onEnd?: (actor: Actor<TLogic>, failed: boolean, error?: unknown) => void;
}

export function startActor<TLogic extends AnyActorLogic>(logic: TLogic, options: StartOptions<TLogic>): Actor<TLogic> {
  const actor = createActor(logic, {
    input: options.input,
    ...(options.systemId === undefined ? {} : { systemId: options.systemId, id: actorId(options.systemId, options.parent) }),
    ...(options.inspect === undefined || options.parent ? {} : { inspect: options.inspect }),
    ...(options.parent === undefined ? {} : { parent: options.parent }),
  } as Parameters<typeof createActor<TLogic>>[1]);
  const name = options.systemId ?? actor.id;
  const { logger } = options;
  let lastState: string | undefined;
  actor.subscribe({
    next: (snapshot) => {
      const value = (snapshot as { value?: unknown }).value;
      const state = JSON.stringify(value);
      if (state === lastState) return;
      lastState = state;
      logger?.debug?.(`[qimessaging] ${name}: ${state}`);
      if (lifecycleDiagnostics.hasSubscribers) lifecycleDiagnostics.publish({ actor: name, state: value } satisfies LifecycleMessage);
    },
    error: (error) => {
      logger?.error?.(`[qimessaging] ${name} failed`, error);
      if (lifecycleDiagnostics.hasSubscribers) lifecycleDiagnostics.publish({ actor: name, error } satisfies LifecycleMessage);
      options.onError?.(error);
      options.onEnd?.(actor, true, error);
    },
    complete: () => options.onEnd?.(actor, false),
  });
  actor.start();
  return actor;
}

/**
 * Hands over a resource a promise actor produced, releasing it if the actor is stopped before XState takes the
 * result. There is a window between the promise resolving and XState delivering its output in which a CLOSE can
 * stop the actor: XState then drops the output but does abort the signal, so listening for that is the only way
 * not to leak the link, binding or registration the promise made.
 */
export function handOver<T>(signal: AbortSignal, resource: T, release: (resource: T) => void): T {
  if (signal.aborted) {
    release(resource);
    throw new ClosedError('abandoned: its actor was stopped');
  }
  signal.addEventListener('abort', () => release(resource), { once: true });
  return resource;
}

/**
 * The id the inspector shows. A root actor is named by its system id. A child (created with `parent`) must not
 * be: when it ends it sends `xstate.done.actor.<id>` to its parent, and XState caches transition candidates per
 * event type for ever, so a unique id per binding grows the parent's cache by one entry per binding. Children
 * are named by their kind (`client`, `forwarder`); their unique name stays their system id.
 */
function actorId(systemId: string, parent: AnyActorRef | undefined): string {
  return parent ? systemId.split(':')[0]! : systemId;
}

/** A serialisable copy of an error for actor context (the inspector shows it; snapshots stay JSON). */
export interface ErrorSummary {
  code: string;
  message: string;
  /** The error's `data` (what the Error frame carried), kept only when it is plain JSON. */
  data?: unknown;
}

export function summarize(error: unknown): ErrorSummary {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const data = (error as { data?: unknown }).data;
    const summary: ErrorSummary = { code: String(error.code), message: String(error.message) };
    // Kept for the caller (a gateway's DirectoryUnavailable says its cause there); dropped if a snapshot could not hold it.
    if (data !== undefined && isPlainJson(data, 0)) summary.data = data;
    return summary;
  }
  return { code: 'RemoteError', message: error instanceof Error ? error.message : String(error) };
}

/** Small plain JSON only: a few levels of objects, arrays, strings, finite numbers, booleans and null. */
function isPlainJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (depth >= 4 || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.length <= 64 && value.every((v) => isPlainJson(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const entries = Object.values(value as Record<string, unknown>);
  return entries.length <= 64 && entries.every((v) => isPlainJson(v, depth + 1));
}

/** The typed error an ErrorSummary was made from (the same class, code and message); `fallback` when there is none. */
export function restoreError(summary: ErrorSummary | null, fallback = 'ended without an error'): QiError {
  if (!summary) return new ConnectionLostError(fallback);
  return isErrorCode(summary.code) ? qiError(summary.code, summary.message, summary.data) : new ConnectionLostError(summary.message, summary.data);
}

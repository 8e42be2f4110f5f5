import type { Actor, AnyActorLogic } from 'xstate';
import type { QiError } from '../protocol/errors.js';
import { closeActor, endReason, onActorEnd } from './lifecycle.js';
import { watchStatus, type Status } from './status.js';

/** What every handle of the public API shares: its actor, and an idempotent `close()` that `await using` calls. */
export abstract class ActorHandle<TLogic extends AnyActorLogic> {
  /** The actor behind this handle, for the inspector or to embed in your own actor system. */
  readonly actor: Actor<TLogic>;
  // #private, not `private`: a ServiceClient's method shortcuts skip every name the client has at run time, and
  // these must not be among them, since its type (keyof) does not show them.
  #closing: Promise<void> | undefined;
  #ending: Promise<QiError | undefined> | undefined;

  protected constructor(actor: Actor<TLogic>) {
    this.actor = actor;
  }

  /** Closes this handle and everything it owns; resolves once its actor has stopped. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.shutDown();
    return this.#closing;
  }

  /**
   * Resolves once this handle has ended for good: with the error that ended it, or undefined when it was closed
   * by its owner. Never rejects.
   */
  get closed(): Promise<QiError | undefined> {
    this.#ending ??= new Promise((resolve) => onActorEnd(this.actor, () => resolve(endReason(this.actor))));
    return this.#ending;
  }

  /**
   * Calls `listener` with each change of status from now on: `disconnected`, `reconnecting`, `reconnected`,
   * `rebound`, and `ended` once. Returns a function that stops it.
   */
  onStatus(listener: (status: Status) => void): () => void {
    return watchStatus(this.actor, listener);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `close()` does, once. */
  protected shutDown(): Promise<void> {
    return closeActor(this.actor);
  }
}

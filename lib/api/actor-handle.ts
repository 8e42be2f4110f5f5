import type { Actor, AnyActorLogic } from 'xstate';
import { closeActor } from './lifecycle.js';

/** What every handle of the public API shares: its actor, and an idempotent `close()` that `await using` calls. */
export abstract class ActorHandle<TLogic extends AnyActorLogic> {
  /** The actor behind this handle, for the inspector or to embed in your own actor system. */
  readonly actor: Actor<TLogic>;
  private closing: Promise<void> | undefined;

  protected constructor(actor: Actor<TLogic>) {
    this.actor = actor;
  }

  /** Closes this handle and everything it owns; resolves once its actor has stopped. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `close()` does, once. */
  protected shutDown(): Promise<void> {
    return closeActor(this.actor);
  }
}

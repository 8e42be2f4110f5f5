/**
 * A service contract: one TypeScript interface, written once and shared by the process that serves it and the
 * processes that call it. Methods are written as the caller sees them (plain parameters, a result or a promise),
 * signals as `Signal<[…]>`, properties as `Property<V>` or `ReadOnlyProperty<V>`:
 *
 * ```ts
 * export interface Motion {
 *   moveTo(x: number, y: number): Promise<string>;
 *   progress: Signal<[percent: number]>;
 *   speed: Property<number>;
 *   battery: ReadOnlyProperty<number>;
 * }
 * const motion = await createService<Motion>('motion', impl);   // impl is checked against Motion
 * const client = await conn.service<Motion>('motion');           // the client is typed from Motion
 * ```
 *
 * The implementation may write any method with `withContext` (its context is not the caller's to pass), return
 * the result or a promise of it, and must declare each property with the contract's access.
 */
import type { Property, Signal } from '../service/members.js';
import type { ContextualMethod } from '../service/meta-object.js';

/** The result of a method, or a promise of it: whichever the contract wrote, the caller gets a promise. */
type ResultOrPromise<R> = Awaited<R> | Promise<Awaited<R>>;

/** How a method of the contract may be implemented: plain, or with the call's context first (`withContext`). */
export type MethodImplementation<Args extends unknown[], Result> =
  | ((...args: Args) => ResultOrPromise<Result>)
  | ContextualMethod<Args, ResultOrPromise<Result>>;

/** What an object must be to serve contract `C`: `createService<C>(name, implementation)` checks it. */
export type Implementation<C> = {
  [K in keyof C]: C[K] extends Signal<infer A>
    ? Signal<A>
    : C[K] extends Property<infer V, infer ReadOnly>
      ? Property<V, ReadOnly>
      : C[K] extends (...args: infer A) => infer R
        ? MethodImplementation<A, R>
        : C[K];
};

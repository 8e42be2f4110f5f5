/**
 * Types that let a client be typed from a service's implementation type (or an interface the user writes):
 * `conn.service<typeof tts>('tts')` or `conn.service<Tts>('tts')`. Without a type argument every name is a string
 * and every value `unknown`.
 */
import type { Property, Signal } from '../service/members.js';
import type { ContextualMethod } from '../service/meta-object.js';
import type { ReadOnlyRemoteProperty, RemoteProperty } from './remote-property.js';

/** Every function is assignable to this (parameters are contravariant), without resorting to `any`. */
type AnyFunction = (...args: never[]) => unknown;

/** The shape of an untyped service: names are strings, values unknown. */
export interface UntypedService {
  [member: string]: AnyFunction | Signal<unknown[]> | Property<unknown, boolean>;
}

type IsUntyped<T> = string extends keyof T ? true : false;
type Keys<T> = keyof T & string;

/** Names of T's methods. */
export type MethodName<T> =
  IsUntyped<T> extends true ? string : { [K in Keys<T>]: T[K] extends AnyFunction ? K : never }[Keys<T>];
/** Names of T's signals. */
export type SignalName<T> =
  IsUntyped<T> extends true ? string : { [K in Keys<T>]: T[K] extends Signal<infer _A> ? K : never }[Keys<T>];
/** Names of T's properties. */
export type PropertyName<T> =
  IsUntyped<T> extends true ? string : { [K in Keys<T>]: T[K] extends Property<infer _V, boolean> ? K : never }[Keys<T>];

/** The arguments a client passes to method K (a `withContext` method's context excluded). */
export type MethodArgs<T, K> = IsUntyped<T> extends true
  ? unknown[]
  : K extends keyof T
    ? T[K] extends ContextualMethod<infer A, infer _R>
      ? A
      : T[K] extends (...args: infer A) => unknown
        ? A
        : never
    : never;

/** What a call of method K resolves with. */
export type MethodResult<T, K> = IsUntyped<T> extends true
  ? unknown
  : K extends keyof T
    ? T[K] extends (...args: never[]) => infer R
      ? Awaited<R>
      : never
    : never;

/** The arguments of signal K. */
export type SignalArgs<T, K> = IsUntyped<T> extends true ? unknown[] : K extends keyof T ? (T[K] extends Signal<infer A> ? A : never) : never;

/** What `client.property(K)` is: without `set` when the contract says the property is read-only. */
export type RemotePropertyOf<T, K> = IsUntyped<T> extends true
  ? RemoteProperty<unknown>
  : K extends keyof T
    ? T[K] extends Property<infer V, true>
      ? ReadOnlyRemoteProperty<V>
      : RemoteProperty<PropertyValue<T, K>>
    : never;

/** The value type of property K. */
export type PropertyValue<T, K> = IsUntyped<T> extends true ? unknown : K extends keyof T ? (T[K] extends Property<infer V, boolean> ? V : never) : never;

/**
 * Every method of T as an async function: the type of `client.methods`. Complete: a method named like the client's
 * own API (`on`, `close`, `call`, …) is here too. Untyped, any name may be asked for, and may be missing.
 */
export type RemoteMethods<T> =
  IsUntyped<T> extends true
    ? { readonly [method: string]: (...args: unknown[]) => Promise<unknown> }
    : { readonly [K in MethodName<T>]: (...args: MethodArgs<T, K>) => Promise<MethodResult<T, K>> };

/**
 * The methods of T reachable straight on the client (`tts.say('hi')`): those whose names the client's own API
 * (`Taken`) does not use. None for an untyped client.
 */
export type MethodShortcuts<T, Taken extends PropertyKey> =
  IsUntyped<T> extends true
    ? unknown
    : { readonly [K in Exclude<MethodName<T>, Taken>]: (...args: MethodArgs<T, K>) => Promise<MethodResult<T, K>> };

/**
 * The members of a user's service object, numbered. Methods are the object's function-valued properties (own or
 * from its class), signals its `Signal` fields and properties its `Property` fields, numbered together from 100 in
 * declaration order. A method's arity, a minimum and a maximum, is counted in arity.ts. The numbering is sent to every client at bind, so clients
 * use numbers, not names.
 */
import { FIRST_MEMBER_ACTION, type MetaObject } from '../protocol/control.js';
import type { Identity } from '../auth/authenticator.js';
import type { Session } from '../session/session.js';
import { arityOf } from './arity.js';
import { Property, Signal } from './members.js';

/** What a `withContext` method learns of its call besides its arguments. */
export interface CallContext {
  /** Fires when the caller cancels the call or its timeout expires. */
  signal: AbortSignal;
  /**
   * Who is calling: what the caller's link authenticated as (the service's `authenticate` option), or undefined
   * on a service without one. Through a gateway the service trusts with the `gateway` role, the gateway's client
   * (undefined if that client is anonymous); through any other gateway, the gateway itself.
   */
  identity: Identity | undefined;
  /**
   * Reports progress (or a partial result) to this call's caller only, as a Progress frame it hands to its
   * `onProgress`. Dropped when the caller did not ask for progress (or its client predates it), and once the call
   * is answered or canceled. Progress frames are queued like replies: a caller that does not read them is pushed
   * back on, and cut off past the link's `maxBufferedBytes`. Throws BadArgumentsError for a value CBOR cannot carry.
   */
  progress(value: unknown): void;
}

/** Where a subscribed binding takes an emission: the body, encoded once for every subscriber. */
export interface EventSink {
  sendEvent(memberId: number, body: Uint8Array): void;
}

/**
 * The context a ServiceBinding passes: the public part, and the session and binding the call came on (for
 * built-in services: the directory reads the session, the gateway monitor the binding its events go to).
 */
export interface DispatchContext extends CallContext {
  session: Session;
  binding: EventSink;
}

/** One method as a ServiceBinding sees it: positional arguments in, a value or a promise out. */
export interface MethodEntry {
  name: string;
  /** The fewest arguments a call carries. */
  arity: number;
  /** The most; null for no maximum; absent for exactly `arity`. */
  maxArity?: number | null;
  invoke(args: unknown[], context: DispatchContext): unknown;
  /** True if `invoke` reads its context: only then is a per-call context (and its AbortSignal) made. */
  usesContext?: boolean;
}

export interface MemberTable {
  metaObject: MetaObject;
  methodsById: Map<number, MethodEntry>;
  signalsById: Map<number, { name: string; signal: Signal }>;
  propertiesById: Map<number, { name: string; property: Property }>;
}

/** A method that also receives the call's context (its AbortSignal) first: see `withContext`. */
export interface ContextualMethod<Args extends unknown[], Result> {
  (context: CallContext, ...args: Args): Result;
  readonly withContext: true;
}

/**
 * Marks a method that wants the call's context as a first argument, e.g. to stop work when the caller cancels:
 * `say: withContext(async ({ signal }, text: string) => …)`. Clients call it without the context: `say('hi')`.
 */
export function withContext<Args extends unknown[], Result>(
  fn: (context: CallContext, ...args: Args) => Result,
): ContextualMethod<Args, Result> {
  return Object.assign(fn, { withContext: true as const });
}

/**
 * The public part of a dispatch context (not its session). `signal` is read now, while the call is in flight: a
 * method that keeps its context and reads it after a cancel must see it aborted.
 */
function callContext({ signal, identity, progress }: DispatchContext): CallContext {
  return { signal, identity, progress };
}

/** Numbers methods, then signals, from 100, in order (the built-in services' tables). */
export function memberTable(
  name: string,
  methods: readonly MethodEntry[],
  signals: ReadonlyArray<{ name: string; signal: Signal }> = [],
): MemberTable {
  const table = emptyTable(name);
  let id = FIRST_MEMBER_ACTION;
  for (const method of methods) addMethod(table, id++, method);
  for (const entry of signals) {
    table.signalsById.set(id, entry);
    table.metaObject.signals.push({ id: id++, name: entry.name });
  }
  return table;
}

/** The member table of a user's object: methods called with the object as `this`, signals, properties. */
export function describeMembers(name: string, implementation: object): MemberTable {
  const table = emptyTable(name);
  let id = FIRST_MEMBER_ACTION;
  for (const key of memberNames(implementation)) {
    const member = (implementation as Record<string, unknown>)[key];
    if (member instanceof Signal) {
      table.signalsById.set(id, { name: key, signal: member });
      table.metaObject.signals.push({ id: id++, name: key });
    } else if (member instanceof Property) {
      table.propertiesById.set(id, { name: key, property: member });
      table.metaObject.properties.push({ id: id++, name: key, readOnly: member.readOnly });
    } else if (typeof member === 'function') {
      addMethod(table, id++, methodEntry(key, member as (...args: unknown[]) => unknown, implementation));
    }
  }
  return table;
}

function methodEntry(name: string, fn: (...args: unknown[]) => unknown, self: object): MethodEntry {
  if ((fn as Partial<ContextualMethod<unknown[], unknown>>).withContext === true) {
    const { min, max } = arityOf(fn, 1);
    return { name, arity: min, maxArity: max, usesContext: true, invoke: (args, context) => fn.call(self, callContext(context), ...args) };
  }
  const { min, max } = arityOf(fn);
  return { name, arity: min, maxArity: max, invoke: (args) => fn.apply(self, args) };
}

function emptyTable(name: string): MemberTable {
  return {
    metaObject: { name, methods: [], signals: [], properties: [] },
    methodsById: new Map(),
    signalsById: new Map(),
    propertiesById: new Map(),
  };
}

function addMethod(table: MemberTable, id: number, method: MethodEntry): void {
  table.methodsById.set(id, method);
  // Only what differs from an exact arity goes on the wire: a peer that reads `arity` alone still reads a minimum.
  const { maxArity = method.arity } = method;
  const meta: MetaObject['methods'][number] = { id, name: method.name, arity: method.arity };
  if (maxArity === null) meta.variadic = true;
  else if (maxArity > method.arity) meta.maxArity = maxArity;
  table.metaObject.methods.push(meta);
}

/** Keys that are never members. */
const HIDDEN = new Set(['constructor', 'then']);

/** Own and inherited (class) member names, stopping at Object.prototype. */
export function memberNames(implementation: object): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (let proto: object | null = implementation; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (seen.has(key) || HIDDEN.has(key) || key.startsWith('_')) continue;
      seen.add(key);
      names.push(key);
    }
  }
  return names;
}

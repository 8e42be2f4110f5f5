/**
 * The members of a user's service object, numbered. Methods are the object's function-valued properties (own or
 * from its class), in declaration order, numbered from 100; a method's arity is its `length`. The numbering is
 * sent to every client at bind, so clients call by number, not by name.
 */
import { FIRST_MEMBER_ACTION, type MetaObject } from '../protocol/control.js';

import type { LinkSession } from '../session/link-session.js';

/** What a built-in method learns of the call besides its arguments. */
export interface CallContext {
  session: LinkSession;
}

/** One method as the dispatcher sees it: positional arguments in, a value or a promise out. */
export interface MethodEntry {
  name: string;
  arity: number;
  invoke(args: unknown[], context: CallContext): unknown;
}

/** Keys that are never exposed as methods. */
const HIDDEN = new Set(['constructor', 'signals', 'properties', 'then']);

export interface MemberTable {
  metaObject: MetaObject;
  methodsById: Map<number, MethodEntry>;
}

/** Numbers a list of methods from 100, in order. */
export function memberTable(name: string, methods: readonly MethodEntry[]): MemberTable {
  const methodsById = new Map<number, MethodEntry>();
  const metaObject: MetaObject = { name, methods: [], signals: [], properties: [] };
  methods.forEach((method, index) => {
    const id = FIRST_MEMBER_ACTION + index;
    methodsById.set(id, method);
    metaObject.methods.push({ id, name: method.name, arity: method.arity });
  });
  return { metaObject, methodsById };
}

/** The member table of a user's object: its methods, called with the object as `this`. */
export function describeMembers(name: string, implementation: object): MemberTable {
  return memberTable(
    name,
    methodNames(implementation).map((key) => {
      const fn = (implementation as Record<string, (...args: unknown[]) => unknown>)[key]!;
      return { name: key, arity: fn.length, invoke: (args: unknown[]) => fn.apply(implementation, args) };
    }),
  );
}

/** Own and inherited (class) method names, stopping at Object.prototype. */
function methodNames(implementation: object): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (let proto: object | null = implementation; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (seen.has(key) || HIDDEN.has(key) || key.startsWith('_')) continue;
      seen.add(key);
      if (typeof (implementation as Record<string, unknown>)[key] === 'function') names.push(key);
    }
  }
  return names;
}

/**
 * The libqi types of a served object's members. libqi clients see every member with a signature and convert
 * their arguments to it, so a qimessaging member meant for them says which it has:
 *
 * ```ts
 * const echo = {
 *   add: withSignature('(ii)->i', (a: number, b: number) => a + b),
 *   sum: withSignature(['(ii)->i', '(dd)->d', '([i])->i'], (a: number | number[], b?: number) => …), // overloads
 *   echoAny: withSignature('(m)->m', (v: unknown) => v, { typedDynamics: true }),  // `m` arrives as TypedValue
 *   pinged: withSignature('(s)', signal<[string]>()),
 *   counter: withSignature('i', property(0)),
 * };
 * ```
 *
 * or, for an object whose members cannot be wrapped, the `signatures` option of `createLibqiService` (same texts,
 * by member name). Without either, a member is dynamic: a method of n parameters is `(m…m)->m` (n = its
 * arity's maximum, else its minimum), a signal `(m)`, a property `m`; values are then sent with the signature
 * dynamic-signature.ts infers. A method's text is `PARAMS->RETURN`, PARAMS a tuple: `()->v`, `(s)->o`.
 * Overloads take one member id each, consecutive, in the order given; libqi clients pick one by argument types.
 */
import { BadArgumentsError } from '../protocol/errors.js';
import { parseSignature, type QiType, type TupleType } from '../protocol/libqi/index.js';
import { Property, Signal } from '../service/members.js';

export interface MethodSignatureOptions {
  /**
   * Dynamic (`m`) arguments arrive as `TypedValue`s that keep the signature they were sent with, so a method can
   * read it (libqi's `AnyValue::signature()`) or send the value back unchanged, struct annotation included.
   */
  typedDynamics?: boolean;
}

/** What a member was declared with: one text per overload for a method, one for a signal or property. */
export interface SignatureDeclaration extends MethodSignatureOptions {
  signatures: readonly string[];
}

export interface MethodSignature {
  /** The text as libqi prints it: `(ii)->i`. */
  text: string;
  params: TupleType;
  returns: QiType;
}

const declarations = new WeakMap<object, SignatureDeclaration>();

/** Declares the libqi signature(s) of a method, signal or property; returns it unchanged. */
export function withSignature<M extends ((...args: never[]) => unknown) | Signal<unknown[]> | Property<unknown, boolean>>(
  signature: string | readonly string[],
  member: M,
  options: MethodSignatureOptions = {},
): M {
  const signatures = typeof signature === 'string' ? [signature] : [...signature];
  if (signatures.length === 0) throw new BadArgumentsError('withSignature needs at least one signature');
  for (const text of signatures) {
    if (typeof member === 'function') parseMethodSignature(text);
    else if (member instanceof Signal) signalSignature(text);
    else parseSignature(text);
  }
  declarations.set(member, { signatures, ...options });
  return member;
}

/** What `withSignature` declared for `member`, if anything. */
export function declaredSignature(member: object): SignatureDeclaration | undefined {
  return declarations.get(member);
}

/** `(ii)->i` into its parameter tuple and return type; BadArgumentsError when it is not one. */
export function parseMethodSignature(text: string): MethodSignature {
  const arrow = text.lastIndexOf('->');
  if (arrow < 0) throw new BadArgumentsError(`method signature '${text}' has no '->' (write it as '(ii)->i')`);
  const params = parseChecked(text.slice(0, arrow), text);
  const returns = parseChecked(text.slice(arrow + 2), text);
  if (params.kind !== '(') throw new BadArgumentsError(`the parameters of '${text}' must be a tuple, as '(${params.text})'`);
  return { text, params, returns };
}

/** A signal's signature: a tuple, `()` for none. */
export function signalSignature(text: string): TupleType {
  const type = parseChecked(text, text);
  if (type.kind !== '(') throw new BadArgumentsError(`a signal's signature must be a tuple: '(${text})', not '${text}'`);
  return type;
}

function parseChecked(part: string, whole: string): QiType {
  try {
    return parseSignature(part);
  } catch (err) {
    throw new BadArgumentsError(`bad libqi signature '${whole}': ${(err as Error).message}`);
  }
}

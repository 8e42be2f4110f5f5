/**
 * A served object's members as libqi sees them: ids, signatures and the meta-object libqi clients ask for. Built
 * from the same implementation object a qimessaging service serves (methods, `signal()` and `property()` fields,
 * `withContext`, `withArity`), walked in the same declaration order, numbered from 100: each method takes one id
 * per signature (overloads), each signal one, each property one shared by its property and its change signal, as
 * libqi numbers them. The built-in members 0–8 and 80–86 head every meta-object.
 */
import type { Identity } from '../auth/authenticator.js';
import { BadArgumentsError } from '../protocol/errors.js';
import { META_OBJECT_SIGNATURE, parseSignature, type LibqiMetaMethod, type LibqiMetaObject, type QiType, type TupleType } from '../protocol/libqi/index.js';
import { arityOf } from '../service/arity.js';
import { Property, Signal } from '../service/members.js';
import { memberNames, type CallContext, type ContextualMethod } from '../service/meta-object.js';
import { declaredSignature, parseMethodSignature, signalSignature, type MethodSignature } from './libqi-signatures.js';

/** Member signatures by name, for members not wrapped in `withSignature`: `{ add: '(ii)->i', pinged: '(s)', counter: 'i' }`. */
export type LibqiSignatureMap = Readonly<Record<string, string | readonly string[]>>;

export interface LibqiMethodMember {
  uid: number;
  name: string;
  signature: MethodSignature;
  /** Decode `m` arguments as TypedValue (see MethodSignatureOptions). */
  typedDynamics: boolean;
  /** True if the method takes a CallContext first (withContext): only then is an AbortSignal made per call. */
  usesContext: boolean;
  invoke(args: unknown[], signal: AbortSignal | undefined, caller: LibqiCaller): unknown;
}

/** The link a call came on, for members that answer per link (a directory forgets what a link registered when it closes). */
export interface LibqiCaller {
  readonly remote: string;
  /** Who the link authenticated as (the host's authenticator); undefined for an anonymous link. */
  readonly identity: Identity | undefined;
  /** Calls `listener` once, when the link closes. */
  onClose(listener: () => void): void;
}

const WITH_CALLER = Symbol('qimessaging.libqiCaller');

/** @internal Marks a method that takes the calling link first (the ServiceDirectory's registerService). */
export function withCaller<Args extends unknown[], Result>(fn: (caller: LibqiCaller, ...args: Args) => Result): (...args: Args) => Result {
  return Object.assign(fn, { [WITH_CALLER]: true }) as unknown as (...args: Args) => Result;
}

export interface LibqiSignalMember {
  uid: number;
  name: string;
  type: TupleType;
  /** An undeclared signal: `(m)`, its one argument sent as it is, any other count as the argument list. */
  dynamic: boolean;
  source: Signal | Property;
}

export interface LibqiPropertyMember {
  uid: number;
  name: string;
  type: QiType;
  property: Property;
}

export interface LibqiObjectTable {
  metaObject: LibqiMetaObject;
  methods: Map<number, LibqiMethodMember>;
  /** Signals, and each property's change signal (same uid as the property). */
  signals: Map<number, LibqiSignalMember>;
  properties: Map<number, LibqiPropertyMember>;
}

const FIRST_USER_MEMBER = 100;

/** The table of `implementation`'s members; `signatures` types those not wrapped in `withSignature`. */
export function buildLibqiObjectTable(implementation: object, signatures: LibqiSignatureMap = {}, description = ''): LibqiObjectTable {
  const table: LibqiObjectTable = {
    metaObject: { methods: new Map(BUILTIN_METHODS.map((m) => [m.uid, m])), signals: new Map([[TRACE_SIGNAL.uid, TRACE_SIGNAL]]), properties: new Map(), description },
    methods: new Map(),
    signals: new Map(),
    properties: new Map(),
  };
  for (const name of Object.keys(signatures)) {
    if (!memberNames(implementation).includes(name)) throw new BadArgumentsError(`signatures names '${name}', which is not a member of the object`);
  }
  let uid = FIRST_USER_MEMBER;
  for (const name of memberNames(implementation)) {
    const member = (implementation as Record<string, unknown>)[name];
    const declared = declaredSignature(member as object);
    const mapped = signatures[name];
    const texts = mapped === undefined ? declared?.signatures : typeof mapped === 'string' ? [mapped] : mapped;
    if (member instanceof Signal) {
      const type = texts ? signalSignature(single(name, texts)) : DYNAMIC_SIGNAL;
      addSignal(table, { uid: uid++, name, type, dynamic: !texts, source: member });
    } else if (member instanceof Property) {
      const type = texts ? parseProperty(name, single(name, texts)) : parseSignature('m');
      const id = uid++;
      table.properties.set(id, { uid: id, name, type, property: member });
      table.metaObject.properties.set(id, { uid: id, name, signature: type.text });
      addSignal(table, { uid: id, name, type: parseSignature(`(${type.text})`) as TupleType, dynamic: false, source: member });
    } else if (typeof member === 'function') {
      const fn = member as (...args: unknown[]) => unknown;
      const contextual = (fn as Partial<ContextualMethod<unknown[], unknown>>).withContext === true;
      const methodTexts = texts ?? [dynamicMethodSignature(fn, contextual)];
      for (const text of methodTexts) {
        const signature = parseMethodSignature(text);
        const id = uid++;
        table.methods.set(id, {
          uid: id,
          name,
          signature,
          typedDynamics: declared?.typedDynamics ?? false,
          usesContext: contextual,
          invoke: invoker(fn, implementation, contextual),
        });
        table.metaObject.methods.set(id, metaMethod(id, name, signature.params.text, signature.returns.text));
      }
    }
  }
  return table;
}

/** How a call reaches `fn`: with the calling link first (withCaller), with its context first (withContext), or as is. */
function invoker(fn: (...args: unknown[]) => unknown, self: object, contextual: boolean): LibqiMethodMember['invoke'] {
  if ((fn as { [WITH_CALLER]?: true })[WITH_CALLER]) return (args, _signal, caller) => fn.call(self, caller, ...args);
  if (!contextual) return (args) => fn.apply(self, args);
  // libqi has no progress frames: progress is dropped, as for a caller that did not ask for it.
  return (args, signal, caller) => fn.call(self, { signal: signal ?? new AbortController().signal, identity: caller.identity, progress: () => {} } satisfies CallContext, ...args);
}

function addSignal(table: LibqiObjectTable, signal: LibqiSignalMember): void {
  table.signals.set(signal.uid, signal);
  table.metaObject.signals.set(signal.uid, { uid: signal.uid, name: signal.name, signature: signal.type.text });
}

/** `(m…m)->m`, one `m` per parameter: the arity's maximum, or its minimum for a rest parameter. */
function dynamicMethodSignature(fn: (...args: never[]) => unknown, contextual: boolean): string {
  const { min, max } = arityOf(fn, contextual ? 1 : 0);
  return `(${'m'.repeat(max ?? min)})->m`;
}

function single(name: string, texts: readonly string[]): string {
  if (texts.length !== 1) throw new BadArgumentsError(`'${name}' is a signal or property: it has one signature, not ${texts.length}`);
  return texts[0]!;
}

function parseProperty(name: string, text: string): QiType {
  try {
    return parseSignature(text);
  } catch (err) {
    throw new BadArgumentsError(`bad libqi signature '${text}' for property '${name}': ${(err as Error).message}`);
  }
}

const DYNAMIC_SIGNAL = parseSignature('(m)') as TupleType;

function metaMethod(uid: number, name: string, parametersSignature: string, returnSignature: string): LibqiMetaMethod {
  return { uid, returnSignature, name, parametersSignature, description: '', parameters: [], returnDescription: '' };
}

const MIN_MAX_SUM = '(fff)<MinMaxSum,minValue,maxValue,cumulatedValue>';

/** Every libqi object's built-in methods, as libqi 4.0.5 declares them (zoo-session #31). */
export const BUILTIN_METHODS: readonly LibqiMetaMethod[] = [
  metaMethod(0, 'registerEvent', '(IIL)', 'L'),
  metaMethod(1, 'unregisterEvent', '(IIL)', 'v'),
  metaMethod(2, 'metaObject', '(I)', META_OBJECT_SIGNATURE),
  metaMethod(3, 'terminate', '(I)', 'v'),
  metaMethod(5, 'property', '(m)', 'm'),
  metaMethod(6, 'setProperty', '(mm)', 'v'),
  metaMethod(7, 'properties', '()', '[s]'),
  metaMethod(8, 'registerEventWithSignature', '(IILs)', 'L'),
  metaMethod(80, 'isStatsEnabled', '()', 'b'),
  metaMethod(81, 'enableStats', '(b)', 'v'),
  metaMethod(82, 'stats', '()', `{I(I${MIN_MAX_SUM}${MIN_MAX_SUM}${MIN_MAX_SUM})<MethodStatistics,count,wall,user,system>}`),
  metaMethod(83, 'clearStats', '()', 'v'),
  metaMethod(84, 'isTraceEnabled', '()', 'b'),
  metaMethod(85, 'enableTrace', '(b)', 'v'),
];

/** Built-in signal 86; this side never emits it (it keeps no trace). */
const TRACE_SIGNAL = {
  uid: 86,
  name: 'traceObject',
  signature: '((IiIm(ll)<timeval,tv_sec,tv_usec>llII)<EventTrace,id,kind,slotId,arguments,timestamp,userUsTime,systemUsTime,callerContext,calleeContext>)',
};

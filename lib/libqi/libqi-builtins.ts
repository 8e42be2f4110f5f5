/**
 * The built-in methods every served libqi object answers (ids 0–8 and 80–85; libqi's BoundObject): events,
 * the meta-object, properties by uid or name, terminate for a returned object. This side keeps no statistics and
 * no trace: `isStatsEnabled` / `isTraceEnabled` answer false, `stats` an empty map, and turning either on is an Error.
 */
import { BadArgumentsError, NoSuchMemberError } from '../protocol/errors.js';
import { decodeValue, encodeToBytes, META_OBJECT_SIGNATURE, parseSignature, typed, type CodecOptions, type QiType } from '../protocol/libqi/index.js';
import type { LibqiPropertyMember } from './libqi-object-table.js';
import { BUILTIN_METHODS } from './libqi-object-table.js';
import type { LibqiServedObject } from './libqi-served-object.js';

/** What a built-in needs of the link it came on. */
export interface BuiltinLink {
  readonly codec: CodecOptions;
  /** Subscribes the link to `signal` of `object` under the client's link id; returns this side's link id. */
  registerEvent(object: LibqiServedObject, serviceId: number, signal: number, clientLink: bigint): bigint;
  unregisterEvent(object: LibqiServedObject, signal: number, clientLink: bigint): void;
  /** Forgets a returned object (the main object cannot be terminated). */
  terminate(object: LibqiServedObject): void;
}

export interface BuiltinResult {
  value: unknown;
  returns: QiType;
}

const BUILTIN_TYPES = new Map(BUILTIN_METHODS.map((m) => [m.uid, { params: parseSignature(m.parametersSignature), returns: parseSignature(m.returnSignature) }]));
const VOID = parseSignature('v');
const TRACE_SIGNAL = 86;

export const isBuiltin = (action: number): boolean => BUILTIN_TYPES.has(action);

/** Answers built-in `action` on `object`: a value and the type it is sent as. Throws to answer with an Error. */
export function answerBuiltin(link: BuiltinLink, object: LibqiServedObject, serviceId: number, action: number, payload: Uint8Array): BuiltinResult {
  const types = BUILTIN_TYPES.get(action)!;
  const args = decodeValue(types.params, payload, link.codec) as unknown[];
  const result = (value: unknown): BuiltinResult => ({ value, returns: types.returns });
  const { table } = object;
  switch (action) {
    case 0:
    case 8: {
      const [, signal, clientLink] = args as [number, number, bigint];
      if (!table.signals.has(signal) && signal !== TRACE_SIGNAL) throw new NoSuchMemberError(`no signal ${signal} on this object`);
      return result(link.registerEvent(object, serviceId, signal, clientLink));
    }
    case 1: {
      const [, signal, clientLink] = args as [number, number, bigint];
      link.unregisterEvent(object, signal, clientLink);
      return result(undefined);
    }
    case 2:
      return { value: table.metaObject, returns: parseSignature(META_OBJECT_SIGNATURE) };
    case 3:
      link.terminate(object);
      return result(undefined);
    case 5: {
      const member = propertyOf(object, args[0]);
      const value = member.property.get();
      return result(member.type.kind === 'm' ? value : typed(member.type.text, value));
    }
    case 6: {
      const member = propertyOf(object, args[0]);
      if (member.property.readOnly) throw new BadArgumentsError(`property '${member.name}' is read-only`);
      // Refused here, as libqi's conversion would, rather than stored and failing every later read.
      encodeToBytes(member.type, args[1], link.codec);
      member.property.set(args[1]);
      return result(undefined);
    }
    case 7:
      return result([...table.properties.values()].map((p) => p.name));
    case 80:
    case 84:
      return result(false);
    case 81:
    case 85:
      if (args[0] === true) throw new BadArgumentsError(`${action === 81 ? 'statistics' : 'tracing'} are not supported by this service`);
      return result(undefined);
    case 82:
      return result(new Map());
    case 83:
      return result(undefined);
    default:
      return { value: undefined, returns: VOID };
  }
}

/** A property by uid (what libqi sends) or by name. */
function propertyOf(object: LibqiServedObject, key: unknown): LibqiPropertyMember {
  const { properties } = object.table;
  const found =
    typeof key === 'number' ? properties.get(key) : typeof key === 'string' ? [...properties.values()].find((p) => p.name === key) : undefined;
  if (!found) throw new NoSuchMemberError(`no property ${String(key)} on this object`);
  return found;
}

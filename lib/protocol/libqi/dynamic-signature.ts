/**
 * The signature a JS value is sent with when its type is dynamic (`m`): a method taking `m`, a property set, a
 * dynamic inside a map. The rule, in order:
 *
 * - a `TypedValue`: its own signature (the way to send a struct, `I`, `L`, `f`, `c`, …);
 * - `undefined`, `null`: `v`;  a boolean: `b`;  a string: `s`;  a `Uint8Array`: `r`;
 * - a number: `i` when it is an integer in int32 range, else `d` (so `2.0` is `i`: send `typed('d', 2)` for a double);
 * - a bigint: `l` in int64 range, else `L`;
 * - a `LibqiObjectRef`: `o`;
 * - an Array: `[T]` when every element has the same signature T, else (mixed, or empty) `[m]`;
 * - a Map: `{KV}` likewise, keys and values each uniform or `m`;
 * - any other object: `{sV}`, its own enumerable keys as strings, V uniform or `m`.
 */
import { BadArgumentsError } from '../errors.js';
import { MAX_VALUE_DEPTH } from './limits.js';
import { LibqiObjectRef, TypedValue } from './values.js';

export function inferSignature(value: unknown): string {
  return infer(value, 0);
}

function infer(value: unknown, depth: number): string {
  if (depth > MAX_VALUE_DEPTH) throw new BadArgumentsError(`value nested deeper than ${MAX_VALUE_DEPTH} (a cycle?)`);
  switch (typeof value) {
    case 'undefined':
      return 'v';
    case 'boolean':
      return 'b';
    case 'string':
      return 's';
    case 'number':
      return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0) ? 'i' : 'd';
    case 'bigint':
      return value >= -(1n << 63n) && value < 1n << 63n ? 'l' : 'L';
    case 'object':
      break;
    default:
      throw new BadArgumentsError(`a ${typeof value} has no libqi type`);
  }
  if (value === null) return 'v';
  if (value instanceof TypedValue) return value.signature;
  if (value instanceof Uint8Array) return 'r';
  if (value instanceof LibqiObjectRef) return 'o';
  if (Array.isArray(value)) return `[${uniform(value, depth)}]`;
  if (value instanceof Map) return `{${uniform(value.keys(), depth)}${uniform(value.values(), depth)}}`;
  return `{s${uniform(Object.values(value), depth)}}`;
}

/** The one signature all `values` share, or `m` when they differ or there are none. */
function uniform(values: Iterable<unknown>, depth: number): string {
  let common: string | undefined;
  for (const value of values) {
    const signature = infer(value, depth + 1);
    if (common === undefined) common = signature;
    else if (signature !== common) return 'm';
  }
  return common ?? 'm';
}

/**
 * libqi values made sendable as CBOR bodies, for a bridging gateway's replies and events. The libqi codec decodes
 * a map (`{KV}`) as a `Map`, which qimessaging's CBOR does not carry (codec.ts sends only what it accepts): it
 * becomes a plain object, its keys as strings (`{is}` {1: 'a'} → `{ "1": "a" }`; libqi's encoder converts them
 * back when the object is sent as an argument). Everything else the libqi codec yields is already CBOR's: numbers,
 * bigints (64-bit integers), strings, booleans, null, Uint8Array (raw), arrays and objects (structs). An object
 * reference (`o`) inside a value cannot cross the bridge (a method's top-level object result can: LibqiRoute gives
 * it a channel of its own); it is refused with a RemoteError, and `objectRefsIn` finds every reference in such a
 * value, for the route to release them at the service (else the robot would serve each one until the link closed).
 */
import { RemoteError } from '../protocol/errors.js';
import { LibqiObjectRef } from '../protocol/libqi/index.js';

export function toCborValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, entry] of value) object[String(key)] = toCborValue(entry);
    return object;
  }
  if (Array.isArray(value)) {
    // Most arrays are of scalars: copied only if an element changes.
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const converted = toCborValue(value[i]);
      if (converted !== value[i]) (copy ??= value.slice())[i] = converted;
    }
    return copy ?? value;
  }
  if (value instanceof LibqiObjectRef) throw new RemoteError('a libqi object (signature o) cannot be passed through the gateway');
  let copy: Record<string, unknown> | undefined;
  for (const [key, entry] of Object.entries(value)) {
    const converted = toCborValue(entry);
    if (converted !== entry) (copy ??= { ...(value as Record<string, unknown>) })[key] = converted;
  }
  return copy ?? value;
}

/** Every object reference inside `value` (maps, arrays, structs), at most `limit` of them; decoded values are acyclic. */
export function objectRefsIn(value: unknown, limit = 1_024): LibqiObjectRef[] {
  const found: LibqiObjectRef[] = [];
  const visit = (v: unknown): void => {
    if (found.length >= limit || typeof v !== 'object' || v === null || v instanceof Uint8Array) return;
    if (v instanceof LibqiObjectRef) found.push(v);
    else if (v instanceof Map) for (const [key, entry] of v) visit(key), visit(entry);
    else if (Array.isArray(v)) for (const entry of v) visit(entry);
    else for (const entry of Object.values(v)) visit(entry);
  };
  visit(value);
  return found;
}

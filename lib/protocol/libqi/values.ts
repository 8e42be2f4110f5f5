/**
 * The JS values that stand for libqi values where a plain JS value would lose something: a value with an explicit
 * signature (to send a struct, an unsigned or a 64-bit value as a dynamic `m`, or to keep the signature a dynamic
 * arrived with), and a reference to a remote object (`o`).
 */
import type { LibqiMetaObject } from './meta-object.js';

/** A value and the libqi signature it is to be encoded with. `typed('I', 3)` sends `3` as a uint32 inside an `m`. */
export class TypedValue {
  constructor(
    readonly signature: string,
    readonly value: unknown,
  ) {}
}

export function typed(signature: string, value: unknown): TypedValue {
  return new TypedValue(signature, value);
}

/** An object passed as `o`: its meta-object and where its methods are called (service, object). */
export class LibqiObjectRef {
  constructor(
    readonly metaObject: LibqiMetaObject,
    readonly serviceId: number,
    readonly objectId: number,
    /** The 20-byte object uid, present when both peers share the `ObjectPtrUID` capability. */
    readonly ptrUid: Uint8Array | undefined,
  ) {}
}

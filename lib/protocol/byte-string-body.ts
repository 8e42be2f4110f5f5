/**
 * The commonest body of all, the arguments of a call that passes bytes (`[Buffer]`) or a reply that returns them
 * (`Buffer`), written straight into its frame. cbor-x reaches a byte string only after an `instanceof` scan of
 * its extension classes and copies it into its own buffer, which the frame then copies again: about 350 ns for a
 * 64-byte Buffer against 70 ns for a number. The bytes written here are exactly cbor-x's, which a property spec
 * checks (spec/protocol/byte-string-body.spec.ts); any other value goes to cbor-x.
 *
 * Only the class cbor-x writes as a plain byte string qualifies: Buffer in Node (cbor-x tags a bare Uint8Array
 * there with tag 64), Uint8Array where there is no Buffer.
 */
const ByteString: unknown = (globalThis as { Buffer?: unknown }).Buffer ?? Uint8Array;

/** Up to 23 arguments: their array head is one byte. */
const MAX_ELEMENTS = 23;

/** The encoded size of `value` if it is a byte string or a short array of them, otherwise -1 (use cbor-x). */
export function byteStringBodySize(value: unknown): number {
  if (isByteString(value)) return headSize(value.length) + value.length;
  if (!Array.isArray(value) || value.length > MAX_ELEMENTS) return -1;
  let size = 1;
  for (let i = 0; i < value.length; i++) {
    const element: unknown = value[i];
    if (!isByteString(element)) return -1;
    size += headSize(element.length) + element.length;
  }
  return size;
}

/** Writes `value`, which `byteStringBodySize` accepted, at `offset` of `target`. */
export function writeByteStringBody(target: Uint8Array, offset: number, value: Uint8Array | Uint8Array[]): void {
  if (!Array.isArray(value)) {
    writeByteString(target, offset, value);
    return;
  }
  target[offset++] = 0x80 + value.length;
  for (let i = 0; i < value.length; i++) offset = writeByteString(target, offset, value[i]!);
}

function isByteString(value: unknown): value is Uint8Array {
  return typeof value === 'object' && value !== null && value.constructor === ByteString;
}

/** CBOR major type 2 head: the length in 1, 2, 3 or 5 bytes. */
function headSize(length: number): number {
  return length < 24 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

function writeByteString(target: Uint8Array, offset: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length < 24) {
    target[offset++] = 0x40 + length;
  } else if (length < 0x100) {
    target[offset++] = 0x58;
    target[offset++] = length;
  } else if (length < 0x10000) {
    target[offset++] = 0x59;
    target[offset++] = length >>> 8;
    target[offset++] = length & 0xff;
  } else {
    target[offset++] = 0x5a;
    target[offset++] = length >>> 24;
    target[offset++] = (length >>> 16) & 0xff;
    target[offset++] = (length >>> 8) & 0xff;
    target[offset++] = length & 0xff;
  }
  // A byte loop beats TypedArray.set's native call for short strings.
  if (length <= 64) for (let i = 0; i < length; i++) target[offset + i] = bytes[i]!;
  else target.set(bytes, offset);
  return offset + length;
}

/**
 * The commonest body of all, the arguments of a call that passes bytes (`[Buffer]`) or a reply that returns them
 * (`Buffer`), written straight into its frame and read straight out of it. cbor-x reaches a byte string only after
 * an `instanceof` scan of its extension classes and copies it into its own buffer, which the frame then copies
 * again: about 350 ns for a 64-byte Buffer against 70 ns for a number. The bytes written here are exactly cbor-x's, which a property spec
 * checks (spec/protocol/byte-string-body.spec.ts); any other value goes to cbor-x. Reading a 64-byte `[Buffer]`
 * body takes about 155 ns where cbor-x took 250; anything else, malformed bodies included, is left to cbor-x.
 *
 * Only the class cbor-x writes as a plain byte string qualifies: Buffer in Node (cbor-x tags a bare Uint8Array
 * there with tag 64), Uint8Array where there is no Buffer.
 */
import { copyBytes } from './copy-bytes.js';

/** Buffer in Node, found the way cbor-x finds it (so that both agree under a bundler's Buffer polyfill too). */
export const NodeBuffer = typeof Buffer === 'undefined' ? undefined : Buffer;
const ByteString: unknown = NodeBuffer ?? Uint8Array;

/** Up to 23 arguments: their array head is one byte. */
const MAX_ELEMENTS = 23;

/** The encoded size of `value` if it is a byte string or a short array of them, otherwise -1 (use cbor-x). */
export function byteStringBodySize(value: unknown): number {
  // Arrays first: then `isByteString` reads `constructor` from byte strings only (and stays one map's fast load).
  if (!Array.isArray(value)) return isByteString(value) ? headSize(value.length) + value.length : -1;
  if (value.length > MAX_ELEMENTS) return -1;
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
  copyBytes(target, offset, bytes, 0, length);
  return offset + length;
}

/** What `readByteStringBody` returns for any other body: decode it with cbor-x. */
export const NOT_BYTE_STRINGS: unique symbol = Symbol('not byte strings');

/** Where the last byte string read ended: a module variable, fine because reading is synchronous (not re-entrant). */
let readEnd = 0;

/**
 * Reads `bytes[start..end)` if it is a byte string or an array of up to 23 of them. Byte strings come out as
 * Buffers (in Node), copies when `copy`, otherwise views of `bytes`, as cbor-x gives them.
 */
export function readByteStringBody(bytes: Uint8Array, start: number, end: number, copy: boolean): unknown {
  const head = bytes[start]!;
  if (head < 0x80) {
    const value = readByteString(bytes, start, end, copy);
    return value !== undefined && readEnd === end ? value : NOT_BYTE_STRINGS;
  }
  if (head > 0x80 + MAX_ELEMENTS) return NOT_BYTE_STRINGS;
  const list: Uint8Array[] = [];
  readEnd = start + 1;
  for (let i = head - 0x80; i > 0; i--) {
    const value = readByteString(bytes, readEnd, end, copy);
    if (value === undefined) return NOT_BYTE_STRINGS;
    list.push(value);
  }
  return readEnd === end ? list : NOT_BYTE_STRINGS;
}

function readByteString(bytes: Uint8Array, offset: number, end: number, copy: boolean): Uint8Array | undefined {
  if (offset >= end) return undefined;
  const head = bytes[offset]!;
  let at = offset + 1;
  let length: number;
  if (head >= 0x40 && head < 0x58) length = head - 0x40;
  else if (head === 0x58 && at + 1 <= end) length = bytes[at++]!;
  else if (head === 0x59 && at + 2 <= end) {
    length = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
  } else if (head === 0x5a && at + 4 <= end) {
    length = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
    at += 4;
  } else return undefined;
  if (at + length > end) return undefined;
  readEnd = at + length;
  return copy ? copyOf(bytes, at, length) : viewOf(bytes, at, length);
}

function copyOf(bytes: Uint8Array, at: number, length: number): Uint8Array {
  if (!NodeBuffer) return bytes.slice(at, at + length);
  const out = NodeBuffer.allocUnsafe(length);
  copyBytes(out, 0, bytes, at, at + length);
  return out;
}

function viewOf(bytes: Uint8Array, at: number, length: number): Uint8Array {
  return NodeBuffer ? NodeBuffer.from(bytes.buffer, bytes.byteOffset + at, length) : bytes.subarray(at, at + length);
}

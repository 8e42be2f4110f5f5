/**
 * libqi's binary value encoding (src/type/binarycodec.cpp), driven by a parsed signature, to and from plain JS
 * values. Little-endian throughout; no padding, no tags: the signature says what every byte is.
 *
 * | qi | on the wire | JS (decoded) | JS accepted to encode |
 * |---|---|---|---|
 * | `v` | nothing | `undefined` | `undefined`, `null` |
 * | `b` | 1 byte | boolean | boolean |
 * | `c C w W i I` | 1, 1, 2, 2, 4, 4 bytes | number | an integer number in range |
 * | `l L` | 8 bytes | bigint | bigint, or a safe-integer number, in range |
 * | `f d` | 4, 8 bytes | number (bit for bit; NaN payloads not kept) | number (`f` rounds to float32) |
 * | `s` | u32 length + bytes | string when the bytes are UTF-8, else `Uint8Array` (lossless) | string (as UTF-8), `Uint8Array` |
 * | `r` | u32 length + bytes | `Uint8Array` (a copy) | `Uint8Array` |
 * | `[T]` `#T` | u32 count + elements | Array | Array (any iterable for `[T]` too) |
 * | `{KV}` | u32 count + key, value pairs | `Map`, in wire order | `Map`, or a plain object (keys converted to K) |
 * | `~T` | as `{sT}` | `Map<string, T>` | as `{sT}` |
 * | `(…)` | fields in order, no count | Array; an object of its fields when annotated `<Name,f1,…>` | Array, or the object |
 * | `+T` | `00`, or `01` + T | `null` when absent | `null` / `undefined` for absent |
 * | `m` | signature as `s` + value | the value (or `TypedValue` with `typedDynamics`) | any: see dynamic-signature.ts |
 * | `o` | MetaObject + service u32 + object u32 (+ 20-byte uid) | `LibqiObjectRef` | `LibqiObjectRef` |
 *
 * Malformed input is a ProtocolError; a value that does not fit its signature when encoding is a BadArgumentsError.
 */
import { BadArgumentsError, ProtocolError } from '../errors.js';
import { BinaryWriter } from './binary-writer.js';
import { inferSignature } from './dynamic-signature.js';
import { MAX_VALUE_DEPTH, MAX_VALUE_ITEMS } from './limits.js';
import { META_OBJECT_SIGNATURE, type LibqiMetaObject } from './meta-object.js';
import { isSignatureCached, parseSignature, type QiType } from './signature.js';
import { LibqiObjectRef, TypedValue } from './values.js';

export interface CodecOptions {
  /** Both peers share `ObjectPtrUID`: an `o` ends with a 20-byte object uid (default true, as libqi 4.0.5 does). */
  objectPtrUid?: boolean;
  /** Decode each `m` as a TypedValue that keeps the signature it came with, rather than the bare value (default false). */
  typedDynamics?: boolean;
  /** Work units one payload may cost (default MAX_VALUE_ITEMS): see limits.ts. */
  maxItems?: number;
}

const PTR_UID_SIZE = 20;

/**
 * What decoding one value of each kind costs, in work units of about one small integer's decoding (~25–40 ns on
 * the 2-core test machine), measured per kind: a bigint, a string, a copied buffer or a container costs several.
 * Parsing a new dynamic signature costs SIGNATURE_CHAR_WEIGHT per character.
 */
const WEIGHT: Record<string, number> = {
  v: 1, b: 1, c: 1, C: 1, w: 1, W: 1, i: 1, I: 1, f: 1, d: 1, '+': 1,
  l: 3, L: 3, s: 4, r: 4, '[': 3, '#': 3, '{': 3, '~': 3, '(': 3, m: 4, o: 50,
};
const MAP_ENTRY_WEIGHT = 3;
const SIGNATURE_CHAR_WEIGHT = 3;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const toType = (signature: string | QiType): QiType => (typeof signature === 'string' ? parseSignature(signature) : signature);

/** Decodes `bytes[start..end)` as one value of `signature`; the value must fill the range exactly. */
export function decodeValue(signature: string | QiType, bytes: Uint8Array, options: CodecOptions = {}, start = 0, end = bytes.length): unknown {
  const reader = new Reader(bytes, start, end, options);
  const value = reader.value(toType(signature), 0);
  if (reader.at !== end) throw new ProtocolError(`${end - reader.at} bytes after a value of signature '${toType(signature).text}'`);
  return value;
}

/** Encodes `value` as `signature`, appending to `writer` (a new one when not given); returns the writer. */
export function encodeValue(signature: string | QiType, value: unknown, options: CodecOptions = {}, writer = new BinaryWriter()): BinaryWriter {
  new Encoder(writer, options).value(toType(signature), value, 0);
  return writer;
}

/** `encodeValue` to a fresh byte array. */
export function encodeToBytes(signature: string | QiType, value: unknown, options: CodecOptions = {}): Uint8Array {
  return encodeValue(signature, value, options).finish();
}

let metaObjectType: QiType | undefined;
const metaObjectSignature = (): QiType => (metaObjectType ??= parseSignature(META_OBJECT_SIGNATURE));

class Reader {
  at: number;
  private readonly view: DataView;
  private items = 0;
  private readonly maxItems: number;
  private readonly objectPtrUid: boolean;
  private readonly typedDynamics: boolean;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
    options: CodecOptions,
  ) {
    if (start < 0 || end > bytes.length || start > end) throw new RangeError('bad range');
    this.at = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.maxItems = options.maxItems ?? MAX_VALUE_ITEMS;
    this.objectPtrUid = options.objectPtrUid ?? true;
    this.typedDynamics = options.typedDynamics ?? false;
  }

  private fail(why: string): never {
    throw new ProtocolError(`malformed libqi value at byte ${this.at}: ${why}`);
  }

  private need(n: number): number {
    const at = this.at;
    if (n > this.end - at) this.fail(`truncated (${n} bytes needed, ${this.end - at} left)`);
    this.at = at + n;
    return at;
  }

  private charge(units: number): void {
    if ((this.items += units) > this.maxItems) this.fail(`more than ${this.maxItems} work units refused`);
  }

  /**
   * A count of elements of `minSize` bytes and at least `weight` work units each: refused before anything is
   * allocated if they cannot be there, or would cost more than the budget left. Each element is charged as decoded.
   */
  private count(minSize: number, weight: number): number {
    const count = this.view.getUint32(this.need(4), true);
    if (minSize > 0 && count > (this.end - this.at) / minSize) this.fail(`a count of ${count} cannot fit in ${this.end - this.at} bytes`);
    if (count * weight > this.maxItems - this.items) this.fail(`more than ${this.maxItems} work units refused (${count} elements)`);
    return count;
  }

  private sized(): Uint8Array {
    const length = this.view.getUint32(this.need(4), true);
    const at = this.need(length);
    return this.bytes.subarray(at, at + length);
  }

  private string(): string | Uint8Array {
    const bytes = this.sized();
    // Short ASCII (member names, map keys, signatures) is most strings, and TextDecoder's call costs more than it.
    if (bytes.length <= 32) {
      let ascii = true;
      for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) ascii = false;
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    try {
      return utf8.decode(bytes);
    } catch {
      return copyOf(bytes);
    }
  }

  value(type: QiType, depth: number): unknown {
    if (depth > MAX_VALUE_DEPTH) this.fail(`nesting deeper than ${MAX_VALUE_DEPTH}`);
    if ((this.items += WEIGHT[type.kind] ?? 1) > this.maxItems) this.fail(`more than ${this.maxItems} work units refused`);
    const view = this.view;
    switch (type.kind) {
      case 'v': return undefined;
      case 'b': return this.bytes[this.need(1)] !== 0;
      case 'c': return view.getInt8(this.need(1));
      case 'C': return view.getUint8(this.need(1));
      case 'w': return view.getInt16(this.need(2), true);
      case 'W': return view.getUint16(this.need(2), true);
      case 'i': return view.getInt32(this.need(4), true);
      case 'I': return view.getUint32(this.need(4), true);
      case 'l': return view.getBigInt64(this.need(8), true);
      case 'L': return view.getBigUint64(this.need(8), true);
      case 'f': return view.getFloat32(this.need(4), true);
      case 'd': return view.getFloat64(this.need(8), true);
      case 's': return this.string();
      case 'r': return copyOf(this.sized());
      case '[':
      case '#': {
        const count = this.count(type.element.minSize, WEIGHT[type.element.kind] ?? 1);
        const list = new Array<unknown>(count);
        for (let i = 0; i < count; i++) list[i] = this.value(type.element, depth + 1);
        return list;
      }
      case '{':
      case '~': {
        const key = type.kind === '{' ? type.key : undefined;
        const count = this.count((key?.minSize ?? 4) + type.value.minSize, MAP_ENTRY_WEIGHT + (WEIGHT[key?.kind ?? 's'] ?? 1) + (WEIGHT[type.value.kind] ?? 1));
        const map = new Map<unknown, unknown>();
        for (let i = 0; i < count; i++) {
          const k = key ? this.value(key, depth + 1) : this.string();
          map.set(k, this.value(type.value, depth + 1));
          this.items += MAP_ENTRY_WEIGHT;
        }
        return map;
      }
      case '(': {
        const { fields, fieldNames } = type;
        if (fieldNames === undefined) return fields.map((field) => this.value(field, depth + 1));
        const struct: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) struct[fieldNames[i]!] = this.value(fields[i]!, depth + 1);
        return struct;
      }
      case '+':
        return this.bytes[this.need(1)] === 0 ? null : this.value(type.element, depth + 1);
      case 'm':
        return this.dynamic(depth);
      case 'o':
        return this.object(depth);
      default:
        return this.fail(`type '${type.kind}' has no values`);
    }
  }

  private dynamic(depth: number): unknown {
    const text = this.string();
    if (typeof text !== 'string') this.fail('a dynamic signature that is not UTF-8');
    if (text === '') return this.typedDynamics ? new TypedValue('', undefined) : undefined;
    // Parsing costs in proportion to the text, unless another value already paid for it.
    if (!isSignatureCached(text)) this.charge(text.length * SIGNATURE_CHAR_WEIGHT);
    const type = parseSignature(text);
    const value = this.value(type, depth + 1);
    return this.typedDynamics ? new TypedValue(text, value) : value;
  }

  private object(depth: number): LibqiObjectRef {
    const metaObject = this.value(metaObjectSignature(), depth + 1) as LibqiMetaObject;
    const serviceId = this.view.getUint32(this.need(4), true);
    const objectId = this.view.getUint32(this.need(4), true);
    let ptrUid: Uint8Array | undefined;
    if (this.objectPtrUid) {
      const at = this.need(PTR_UID_SIZE);
      ptrUid = copyOf(this.bytes.subarray(at, at + PTR_UID_SIZE));
    }
    return new LibqiObjectRef(metaObject, serviceId, objectId, ptrUid);
  }
}

/** A copy that holds no reference to the frame (a view would pin the whole read it came in). */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

const INT_RANGE: Record<string, [number, number, string]> = {
  c: [-0x80, 0x7f, 'int8'],
  C: [0, 0xff, 'uint8'],
  w: [-0x8000, 0x7fff, 'int16'],
  W: [0, 0xffff, 'uint16'],
  i: [-0x80000000, 0x7fffffff, 'int32'],
  I: [0, 0xffffffff, 'uint32'],
};
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

class Encoder {
  private readonly objectPtrUid: boolean;

  constructor(
    private readonly out: BinaryWriter,
    options: CodecOptions,
  ) {
    this.objectPtrUid = options.objectPtrUid ?? true;
  }

  value(type: QiType, value: unknown, depth: number): void {
    if (depth > MAX_VALUE_DEPTH) throw new BadArgumentsError(`value nested deeper than ${MAX_VALUE_DEPTH} (a cycle?)`);
    const out = this.out;
    switch (type.kind) {
      case 'v':
        if (value !== undefined && value !== null) mismatch(type, value);
        return;
      case 'b':
        if (typeof value !== 'boolean') mismatch(type, value);
        return out.u8(value ? 1 : 0);
      case 'c': return out.i8(this.integer(type, value));
      case 'C': return out.u8(this.integer(type, value));
      case 'w': return out.i16(this.integer(type, value));
      case 'W': return out.u16(this.integer(type, value));
      case 'i': return out.i32(this.integer(type, value));
      case 'I': return out.u32(this.integer(type, value));
      case 'l': return out.i64(this.bigInteger(type, value, INT64_MIN, INT64_MAX));
      case 'L': return out.u64(this.bigInteger(type, value, 0n, UINT64_MAX));
      case 'f':
        if (typeof value !== 'number') mismatch(type, value);
        return out.f32(value);
      case 'd':
        if (typeof value !== 'number') mismatch(type, value);
        return out.f64(value);
      case 's':
        if (typeof value === 'string') return out.string(value);
        if (value instanceof Uint8Array) return out.sized(value);
        return mismatch(type, value);
      case 'r':
        if (!(value instanceof Uint8Array)) mismatch(type, value);
        return out.sized(value);
      case '[':
      case '#': {
        if (typeof value !== 'object' || value === null || !(Symbol.iterator in value) || value instanceof Map) mismatch(type, value);
        const list = Array.isArray(value) ? value : [...(value as Iterable<unknown>)];
        out.u32(list.length);
        for (const element of list) this.value(type.element, element, depth + 1);
        return;
      }
      case '{':
      case '~': {
        const key = type.kind === '{' ? type.key : parseSignature('s');
        const entries = mapEntries(type, key, value);
        out.u32(entries.length);
        for (const [k, v] of entries) {
          this.value(key, k, depth + 1);
          this.value(type.value, v, depth + 1);
        }
        return;
      }
      case '(': {
        const { fields, fieldNames } = type;
        if (Array.isArray(value)) {
          if (value.length !== fields.length) throw new BadArgumentsError(`expected ${fields.length} values for '${type.text}', got ${value.length}`);
          for (let i = 0; i < fields.length; i++) this.value(fields[i]!, value[i], depth + 1);
          return;
        }
        if (fieldNames === undefined || typeof value !== 'object' || value === null) return mismatch(type, value);
        const struct = value as Record<string, unknown>;
        for (let i = 0; i < fields.length; i++) {
          const name = fieldNames[i]!;
          if (!(name in struct)) throw new BadArgumentsError(`missing field '${name}' for '${type.text}'`);
          this.value(fields[i]!, struct[name], depth + 1);
        }
        return;
      }
      case '+':
        if (value === null || value === undefined) return out.u8(0);
        out.u8(1);
        return this.value(type.element, value, depth + 1);
      case 'm':
        return this.dynamic(value, depth);
      case 'o':
        return this.object(value, depth);
      default:
        throw new BadArgumentsError(`type '${type.kind}' cannot be encoded`);
    }
  }

  private integer(type: QiType, value: unknown): number {
    const [min, max, name] = INT_RANGE[type.kind]!;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new BadArgumentsError(`expected an ${name} for '${type.kind}', got ${describe(value)}`);
    }
    return value;
  }

  private bigInteger(type: QiType, value: unknown, min: bigint, max: bigint): bigint {
    const big = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
    if (big === undefined || big < min || big > max) {
      throw new BadArgumentsError(`expected a bigint (or safe integer) in [${min}, ${max}] for '${type.kind}', got ${describe(value)}`);
    }
    return big;
  }

  private dynamic(value: unknown, depth: number): void {
    const signature = value instanceof TypedValue ? value.signature : inferSignature(value);
    const inner = value instanceof TypedValue ? value.value : value;
    this.out.string(signature);
    if (signature === '') return;
    let type: QiType;
    try {
      type = parseSignature(signature);
    } catch (err) {
      throw new BadArgumentsError(`bad signature for a dynamic value: ${(err as Error).message}`);
    }
    this.value(type, inner, depth + 1);
  }

  private object(value: unknown, depth: number): void {
    if (!(value instanceof LibqiObjectRef)) {
      throw new BadArgumentsError(`expected an object reference for 'o' (passing local objects is not supported), got ${describe(value)}`);
    }
    this.value(metaObjectSignature(), value.metaObject, depth + 1);
    this.out.u32(value.serviceId);
    this.out.u32(value.objectId);
    if (!this.objectPtrUid) return;
    if (value.ptrUid?.length !== PTR_UID_SIZE) throw new BadArgumentsError('an object reference without its 20-byte uid');
    this.out.reserve(PTR_UID_SIZE);
    this.out.bytes.set(value.ptrUid, this.out.length);
    this.out.length += PTR_UID_SIZE;
  }
}

/** A map value's entries: a Map's as they are, a plain object's with its keys converted to the key type. */
function mapEntries(type: QiType, key: QiType, value: unknown): Array<[unknown, unknown]> {
  if (value instanceof Map) return [...value];
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return mismatch(type, value);
  const convert =
    key.kind === 's' || key.kind === 'm'
      ? (k: string): unknown => k
      : key.kind === 'l' || key.kind === 'L'
        ? (k: string): unknown => BigInt(k)
        : Object.hasOwn(INT_RANGE, key.kind) || key.kind === 'f' || key.kind === 'd'
          ? (k: string): unknown => Number(k)
          : undefined;
  if (convert === undefined) throw new BadArgumentsError(`a plain object cannot stand for '${type.text}': use a Map`);
  return Object.entries(value).map(([k, v]) => [convert(k), v]);
}

function mismatch(type: QiType, value: unknown): never {
  throw new BadArgumentsError(`cannot encode ${describe(value)} as '${type.text}'`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : value instanceof Uint8Array ? 'a Uint8Array' : `a ${value.constructor?.name ?? 'object'}`;
}

/**
 * libqi's type signatures (src/type/signature.cpp): one character per type, containers bracketed, and after any
 * element an optional `<…>` annotation, which for a tuple names the struct and its fields:
 * `(iis)<Point,x,y,name>`. Parsed once into a tree and cached (bounded), since every call of a method and every
 * dynamic value of the same type shares its signature.
 *
 * | char | type | | char | type |
 * |---|---|---|---|---|
 * | `v` | void | | `s` | string |
 * | `b` | bool | | `r` | raw (qi::Buffer) |
 * | `c` `C` | int8 / uint8 | | `m` | dynamic (signature + value) |
 * | `w` `W` | int16 / uint16 | | `o` | object |
 * | `i` `I` | int32 / uint32 | | `[T]` | list |
 * | `l` `L` | int64 / uint64 | | `{KV}` | map |
 * | `f` `d` | float / double | | `(…)` | tuple / struct |
 * | `+T` | optional | | `#T` `~T` | varargs (a list) / kwargs (a map of string to T) |
 * | `_` | none (element of an empty container) | | `X` `*` | unknown / pointer: parsed, never serializable |
 */
import { ProtocolError } from '../errors.js';
import { LONGEST_CACHED_SIGNATURE, MAX_SIGNATURE_DEPTH, MAX_SIGNATURE_LENGTH, SIGNATURE_CACHE_SIZE } from './limits.js';

export type ScalarKind = 'v' | 'b' | 'c' | 'C' | 'w' | 'W' | 'i' | 'I' | 'l' | 'L' | 'f' | 'd' | 's' | 'r' | 'm' | 'o' | '_' | 'X' | '*';

/** One node of a parsed signature. `text` is the node's exact signature, annotation included. */
export type QiType =
  | { readonly kind: ScalarKind; readonly text: string; readonly minSize: number }
  | { readonly kind: '[' | '#' | '+'; readonly element: QiType; readonly text: string; readonly minSize: number }
  | { readonly kind: '{'; readonly key: QiType; readonly value: QiType; readonly text: string; readonly minSize: number }
  | { readonly kind: '~'; readonly value: QiType; readonly text: string; readonly minSize: number }
  | {
      readonly kind: '(';
      readonly fields: readonly QiType[];
      /** From `<Name,…>`; undefined without an annotation. */
      readonly name: string | undefined;
      /**
       * Field names from `<Name,a,b,…>` when there is one per field, all distinct and usable as object keys;
       * otherwise undefined and the tuple is a JS array.
       */
      readonly fieldNames: readonly string[] | undefined;
      readonly text: string;
      readonly minSize: number;
    };

export type TupleType = Extract<QiType, { kind: '(' }>;

/** Encoded size in bytes of each fixed-size scalar; a count can be checked against `remaining / minSize`. */
const SCALAR_SIZE: Record<ScalarKind, number> = {
  v: 0, b: 1, c: 1, C: 1, w: 2, W: 2, i: 4, I: 4, l: 8, L: 8, f: 4, d: 8, s: 4, r: 4, m: 4, o: 12, _: 0, X: 0, '*': 0,
};

/** One shared node per unannotated scalar. */
const SCALARS = new Map<string, QiType>(Object.entries(SCALAR_SIZE).map(([kind, minSize]) => [kind, { kind: kind as ScalarKind, text: kind, minSize }]));
const scalarType = (kind: ScalarKind): QiType => SCALARS.get(kind)!;

const cache = new Map<string, QiType>();

/** The parsed signature, from the cache when it was seen before. Throws ProtocolError when malformed. */
export function parseSignature(text: string): QiType {
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const type = parseUncached(text);
  if (text.length <= LONGEST_CACHED_SIGNATURE) {
    // Bounded: the oldest entry goes (a Map iterates in insertion order).
    if (cache.size >= SIGNATURE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(text, type);
  }
  return type;
}

/** True when `text` is cached, so parsing it again costs a lookup only (for the decoder's work budget). */
export function isSignatureCached(text: string): boolean {
  return cache.has(text);
}

/** A parameter signature `(…)`'s element types; a method's arguments are always a tuple. */
export function tupleFields(type: QiType): readonly QiType[] {
  if (type.kind !== '(') throw new ProtocolError(`expected a tuple signature, got '${type.text}'`);
  return type.fields;
}

function parseUncached(text: string): QiType {
  if (text.length === 0) throw new ProtocolError('empty signature');
  if (text.length > MAX_SIGNATURE_LENGTH) {
    throw new ProtocolError(`signature of ${text.length} characters exceeds the limit of ${MAX_SIGNATURE_LENGTH}`);
  }
  const parser = new SignatureParser(text);
  const type = parser.element(0);
  if (parser.at !== text.length) parser.fail('trailing characters');
  return type;
}

class SignatureParser {
  at = 0;
  constructor(private readonly text: string) {}

  fail(why: string): never {
    throw new ProtocolError(`malformed signature '${this.text.length > 80 ? this.text.slice(0, 80) + '…' : this.text}': ${why} at ${this.at}`);
  }

  element(depth: number): QiType {
    if (depth >= MAX_SIGNATURE_DEPTH) this.fail(`nesting deeper than ${MAX_SIGNATURE_DEPTH}`);
    const start = this.at;
    const kind = this.text[this.at++];
    // Children first, then the annotation, then the node is built once with its text (parsing is on the hot path
    // of every dynamic value that brings a new signature).
    switch (kind) {
      case undefined:
        return this.fail('unexpected end');
      case '[': {
        const element = this.element(depth + 1);
        this.expect(']');
        this.annotation();
        return { kind, element, text: this.text.slice(start, this.at), minSize: 4 };
      }
      case '#':
      case '+': {
        const element = this.element(depth + 1);
        this.annotation();
        return { kind, element, text: this.text.slice(start, this.at), minSize: kind === '+' ? 1 : 4 };
      }
      case '~': {
        const value = this.element(depth + 1);
        this.annotation();
        return { kind, value, text: this.text.slice(start, this.at), minSize: 4 };
      }
      case '{': {
        const key = this.element(depth + 1);
        const value = this.element(depth + 1);
        this.expect('}');
        this.annotation();
        return { kind, key, value, text: this.text.slice(start, this.at), minSize: 4 };
      }
      case '(': {
        const fields: QiType[] = [];
        let minSize = 0;
        while (this.text[this.at] !== ')') {
          if (this.at >= this.text.length) this.fail("unclosed '('");
          const field = this.element(depth + 1);
          minSize += field.minSize;
          fields.push(field);
        }
        this.at++;
        const annotation = this.annotation();
        let name: string | undefined;
        let fieldNames: string[] | undefined;
        if (annotation !== undefined) {
          const [first, ...names] = annotation.split(',');
          name = first;
          if (names.length === fields.length && new Set(names).size === names.length && names.every(isPlainKey)) fieldNames = names;
        }
        return { kind, fields, name, fieldNames, text: this.text.slice(start, this.at), minSize };
      }
      default: {
        if (!Object.hasOwn(SCALAR_SIZE, kind)) this.fail(`unknown type '${kind}'`);
        if (this.text[this.at] !== '<') return scalarType(kind as ScalarKind);
        this.annotation();
        return { kind: kind as ScalarKind, text: this.text.slice(start, this.at), minSize: SCALAR_SIZE[kind as ScalarKind] };
      }
    }
  }

  private expect(close: string): void {
    if (this.text[this.at] !== close) this.fail(`expected '${close}'`);
    this.at++;
  }

  /** A `<…>` annotation's contents (brackets nest, as libqi's `_find_end` counts them), or undefined. */
  private annotation(): string | undefined {
    if (this.text[this.at] !== '<') return undefined;
    const start = this.at + 1;
    let open = 0;
    for (; this.at < this.text.length; this.at++) {
      const ch = this.text[this.at];
      if (ch === '<') open++;
      else if (ch === '>' && --open === 0) return this.text.slice(start, this.at++);
    }
    return this.fail("unclosed '<'");
  }
}

/** A field name that can be an own property of a plain object without touching its prototype. */
function isPlainKey(name: string): boolean {
  return name.length > 0 && name !== '__proto__';
}

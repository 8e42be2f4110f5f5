/**
 * The shape a CBOR body may have, checked before cbor-x sees it. cbor-x decodes extension tags that a hostile peer
 * turns against us (28/29 shared references build a DAG that expands exponentially when walked: a 205-byte frame
 * exhausted the heap; a tag-2 bignum decodes in quadratic time), recurses once per nesting level, and spends up to
 * a microsecond per map entry or short string: a 16 MiB body of small items blocks the event loop for seconds.
 *
 * So one pass over the item heads, in the manner of a byte-stream parser: linear in the number of items (strings
 * are skipped by their length, never read), no recursion, no allocation unless it refuses. It refuses every tag
 * but a typed array's on a byte string, simple values other than false/true/null/undefined, indefinite-length
 * strings, map keys other than text strings, nesting deeper than MAX_BODY_DEPTH and more than MAX_BODY_ITEMS
 * items in all; and anything malformed or truncated.
 * What it accepts, cbor-x decodes in time linear in the body's size, into a tree of at most MAX_BODY_ITEMS nodes.
 */

/** Containers nested in one another, the body's own outermost one counted: `[[1]]` has depth 2. */
export const MAX_BODY_DEPTH = 64;

/**
 * Data items in one body, containers and map keys included: `{ a: [1, 2] }` has 5. The slowest items to decode
 * (64-byte strings of invalid UTF-8, one-key maps of distinct keys, empty byte strings) cost up to ~0.9 µs each,
 * so a body of this many takes at most ~30 ms; and the decoded value is a tree of at most this many nodes. Bulk
 * numbers fit in one item: a typed array.
 */
export const MAX_BODY_ITEMS = 32_768;

/**
 * The RFC 8746 typed-array tags cbor-x writes (a Uint8Array, Float32Array, … in either byte order), each allowed
 * only on a definite-length byte string: the array is those bytes, nothing to expand.
 */
const TYPED_ARRAY_TAGS = new Uint8Array(256);
for (const tag of [64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 77, 78, 79, 81, 82, 85, 86]) TYPED_ARRAY_TAGS[tag] = 1;

/*
 * The containers being read, innermost in locals (`open`, `isMap`, `isIndefinite`, `count`), the outer ones saved
 * here: items still expected (definite) or read so far (indefinite), and flags. Module-level, so a check allocates
 * nothing; fine because a check is synchronous and calls nothing.
 */
const savedCounts = new Int32Array(MAX_BODY_DEPTH);
const savedFlags = new Uint8Array(MAX_BODY_DEPTH);
const MAP = 1;
const INDEFINITE = 2;

/**
 * Why `bytes[start..end)` is not a body this protocol accepts, or undefined when it is one (a single data item,
 * ending exactly at `end`).
 */
export function bodyViolation(bytes: Uint8Array, start: number, end: number): string | undefined {
  let at = start;
  let items = 0;
  /** Containers open around the next item; 0 before the body's own item. */
  let open = 0;
  let isMap = false;
  let isIndefinite = false;
  let count = 0;
  for (;;) {
    if (at >= end) return 'truncated';
    const initial = bytes[at++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    // In a map, an even number of items read (indefinite) or still expected (definite) means a key comes next.
    if (isMap && (count & 1) === 0 && major !== 3 && initial !== 0xff) return 'a map key that is not a text string refused';
    // The argument: a count, a length or a value, in the head or in the 1, 2, 4 or 8 bytes after it.
    let argument = info;
    if (info >= 24) {
      if (info < 28) {
        const size = 1 << (info - 24);
        if (at + size > end) return 'truncated';
        if (major === 7) {
          // 0xf8 is a one-byte simple value (none is used); 0xf9–0xfb are half, single and double floats.
          if (info === 24) return 'a simple value refused';
        } else {
          argument = readArgument(bytes, at, size);
        }
        at += size;
      } else if (info < 31) {
        return 'a reserved additional-information value';
      } else if (major === 7) {
        // A break ends the innermost indefinite-length container, which is then an item of its own parent.
        if (!isIndefinite) return 'a break outside an indefinite-length item';
        if (isMap && (count & 1) !== 0) return 'a map key without a value';
        if (--open === 0) return at === end ? undefined : 'bytes after the body';
        count = savedCounts[open - 1]!;
        isMap = (savedFlags[open - 1]! & MAP) !== 0;
        isIndefinite = (savedFlags[open - 1]! & INDEFINITE) !== 0;
        argument = -2;
      } else if (major === 4 || major === 5) {
        argument = -1;
      } else {
        return major === 2 || major === 3 ? 'an indefinite-length string refused' : 'an indefinite-length integer or tag';
      }
    }
    if (argument !== -2) {
      if (++items > MAX_BODY_ITEMS) return `more than ${MAX_BODY_ITEMS} items refused`;
      if (major === 2 || major === 3) {
        if (argument > end - at) return 'truncated';
        at += argument;
      } else if (major >= 4) {
        if (major === 6) {
          if (argument < 256 && TYPED_ARRAY_TAGS[argument] === 1 && at < end && bytes[at]! >> 5 === 2 && (bytes[at]! & 0x1f) !== 31) continue;
          return `tag ${argument} refused (the protocol has no extension tags but typed arrays on a byte string)`;
        }
        if (major === 7) {
          if (info < 20) return 'a simple value refused';
        } else if (argument !== 0) {
          if (open === MAX_BODY_DEPTH) return `nesting deeper than ${MAX_BODY_DEPTH} refused`;
          const expected = major === 5 ? argument * 2 : argument;
          if (expected > MAX_BODY_ITEMS - items) return `more than ${MAX_BODY_ITEMS} items refused`;
          // Every item is at least one byte: a count beyond what is left can never be met.
          if (expected > end - at) return 'truncated';
          if (open > 0) {
            savedCounts[open - 1] = count;
            savedFlags[open - 1] = (isMap ? MAP : 0) | (isIndefinite ? INDEFINITE : 0);
          }
          open++;
          isMap = major === 5;
          isIndefinite = argument < 0;
          count = argument < 0 ? 0 : expected;
          continue;
        }
      }
    }
    // The item ended: count it in its container, and end every definite container it fills.
    for (;;) {
      if (open === 0) return at === end ? undefined : 'bytes after the body';
      if (isIndefinite) {
        count++;
        break;
      }
      if (--count > 0) break;
      if (--open === 0) return at === end ? undefined : 'bytes after the body';
      count = savedCounts[open - 1]!;
      isMap = (savedFlags[open - 1]! & MAP) !== 0;
      isIndefinite = (savedFlags[open - 1]! & INDEFINITE) !== 0;
    }
  }
}

/** A big-endian argument of 1, 2, 4 or 8 bytes; 8-byte ones as the nearest double (only compared, never used). */
function readArgument(bytes: Uint8Array, at: number, size: number): number {
  if (size === 1) return bytes[at]!;
  if (size === 2) return (bytes[at]! << 8) | bytes[at + 1]!;
  const high = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
  if (size === 4) return high;
  return high * 0x100000000 + (bytes[at + 4]! * 0x1000000 + ((bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!));
}

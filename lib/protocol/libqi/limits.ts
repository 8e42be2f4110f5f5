/**
 * The bounds a libqi payload is held to before anything is allocated for it. libqi's own binary format has no
 * limits of its own: a count is a u32 and a dynamic value carries its own signature, so a hostile peer could
 * announce four billion empty elements (`[v]` costs 0 bytes each) or nest dynamics without end. These make every
 * payload decode in time linear in its size and bounded in all (~50 ms at 16 MiB, spec/libqi/codec-limits.spec.ts).
 */

/** Longest signature text accepted (the MetaObject's own is ~400 characters; whole meta-objects ~3 KiB of text). */
export const MAX_SIGNATURE_LENGTH = 16 * 1024;

/** Types nested in one signature: `[[i]]` has depth 3. */
export const MAX_SIGNATURE_DEPTH = 32;

/** Values nested in one payload, dynamic values included: each `m` inside an `m` adds one level and its own signature's depth. */
export const MAX_VALUE_DEPTH = 64;

/**
 * Work units one payload may cost (value-codec.ts weighs each kind by what it was measured to cost: 1 for a small
 * number, 3–4 for a bigint, string or container, 3 per character of a dynamic signature not yet cached). A 16 MiB
 * body of 4-byte empty strings is 4 M strings and would take ~1 s; this cap keeps the worst case near 50 ms. It
 * also refuses legitimate payloads of more than ~1 M numbers or ~250 k strings in one message (a 16 MiB `r` is
 * one value and passes).
 */
export const MAX_VALUE_ITEMS = 1_000_000;

/** Signatures kept parsed; a dynamic-heavy peer repeats a handful. Longer texts are parsed each time, never cached. */
export const SIGNATURE_CACHE_SIZE = 1024;
export const LONGEST_CACHED_SIGNATURE = 1024;

/** Hand-built CBOR for hostile-body specs: what cbor-x's encoder would never write. */

/** An item head: major type and argument, in the shortest form. */
export function head(major: number, argument: number): number[] {
  const m = major << 5;
  if (argument < 24) return [m | argument];
  if (argument < 0x100) return [m | 24, argument];
  if (argument < 0x10000) return [m | 25, argument >> 8, argument & 0xff];
  return [m | 26, (argument >>> 24) & 0xff, (argument >>> 16) & 0xff, (argument >>> 8) & 0xff, argument & 0xff];
}

export function cbor(...parts: ArrayLike<number>[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `bytes` repeated `times` times. */
export function repeat(times: number, bytes: number[]): Uint8Array {
  const out = new Uint8Array(times * bytes.length);
  for (let i = 0; i < times; i++) out.set(bytes, i * bytes.length);
  return out;
}

export const text = (value: string): number[] => {
  const bytes = [...Buffer.from(value)];
  return [...head(3, bytes.length), ...bytes];
};

/**
 * A value-sharing DAG (tags 28/29, http://cbor.schmorp.de/value-sharing) of `levels` levels: level k is a shared
 * array holding level k + 1 and a reference back to it, so the value has 2^levels leaves in ~6 bytes a level.
 * Shared values are numbered in the order their tag 28 opens, outermost first.
 */
export function sharedDag(levels: number): Uint8Array {
  const out: number[] = [];
  for (let k = 0; k < levels; k++) out.push(...head(6, 28), 0x82);
  out.push(...head(6, 28), ...text('x'));
  for (let k = levels - 1; k >= 0; k--) out.push(...head(6, 29), ...head(0, k + 1));
  return Uint8Array.from(out);
}

/** A Capability body `{ protocol: <dag> }`: what the attack sent as the first frame of a link. */
export function capabilityWithDag(levels: number): Uint8Array {
  return cbor([0xa1], text('protocol'), sharedDag(levels));
}

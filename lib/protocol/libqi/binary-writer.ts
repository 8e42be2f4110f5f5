/**
 * A growable little-endian byte buffer for libqi payloads. Encoding writes straight into it; `finish` hands out a
 * view of what was written. Starts small and doubles, so a call of a few scalars costs one small allocation.
 */
const utf8 = new TextEncoder();

export class BinaryWriter {
  bytes: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialSize = 64) {
    this.bytes = new Uint8Array(initialSize);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const needed = this.length + n;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  i8(value: number): void {
    this.reserve(1);
    this.view.setInt8(this.length++, value);
  }

  i16(value: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, value, true);
    this.length += 2;
  }

  i32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }

  i64(value: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, value, true);
    this.length += 8;
  }

  u64(value: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, value, true);
    this.length += 8;
  }

  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** u32 length + the bytes. */
  sized(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** u32 length + the UTF-8 of `text`, encoded in place. */
  string(text: string): void {
    this.reserve(4 + text.length * 3);
    const { written } = utf8.encodeInto(text, this.bytes.subarray(this.length + 4));
    this.view.setUint32(this.length, written, true);
    this.length += 4 + written;
  }

  /** What was written, as a view of this writer's buffer. */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

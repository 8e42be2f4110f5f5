/**
 * Incremental frame decoder for byte-stream transports (TCP, TLS). It is a two-state machine in the manner of
 * ws's Receiver: READ_HEADER waits for 28 bytes and checks them, READ_BODY waits for the announced body. It counts
 * buffered bytes, consumes exactly what a frame needs, and hands out a view of the incoming chunk when a frame
 * lies within one chunk (the common case) rather than copying. Reading advances an offset into the first chunk
 * instead of re-slicing what is left of it, so a frame costs one view, and a plain `Uint8Array` one: a Buffer's
 * `subarray` goes through its species constructor and costs more.
 *
 * What stays buffered is kept in few chunks: a small chunk left over after a read is copied into a tail buffer
 * that grows geometrically, so a peer that sends a large frame one byte per write costs about two bytes per byte
 * sent, not a chunk object per byte (before: 63–125 bytes per byte).
 *
 * Errors are thrown as ProtocolError from `push`; the caller closes the link. After an error the decoder refuses
 * further input.
 */
import { ProtocolError } from './errors.js';
import { checkHeader, DEFAULT_MAX_BODY_SIZE, HEADER_SIZE, PROTOCOL_VERSION } from './header.js';

const READ_HEADER = 0;
const READ_BODY = 1;
const FAILED = 2;

/** Leftover chunks shorter than this are copied into the tail buffer rather than kept as chunks of their own. */
const SMALL_CHUNK = 4_096;
const FIRST_TAIL_CAPACITY = 4_096;
const MAX_TAIL_CAPACITY = 256 << 10;
const NO_BUFFER = new ArrayBuffer(0);

export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes; a larger size field fails the link before anything is allocated. */
  maxBodySize?: number;
  /** The header version frames must carry: PROTOCOL_VERSION (default), or LIBQI_PROTOCOL_VERSION for libqi's protocol. */
  protocolVersion?: number;
}

export class FrameDecoder {
  private readonly maxBodySize: number;
  private readonly version: number;
  private readonly chunks: Uint8Array[] = [];
  /** Bytes of `chunks[0]` already consumed. */
  private firstOffset = 0;
  /**
   * The chunk a frame was last cut from, with its `buffer` and `byteOffset`: those two cost 10–20 ns apiece on Node
   * 20, and a read of small frames cuts hundreds of views from one chunk.
   */
  private cutFrom: Uint8Array | undefined;
  private cutBuffer: ArrayBufferLike = NO_BUFFER;
  private cutByteOffset = 0;
  private bufferedBytes = 0;
  private state = READ_HEADER;
  /** Total length (header + body) of the frame being read, once its header has been checked. */
  private frameLength = 0;
  /** The buffer small leftovers are copied into, its entry in `chunks` (a view of its filled part), and its fill. */
  private tail: Uint8Array | undefined;
  private tailEntry: Uint8Array | undefined;
  private tailFill = 0;
  private nextTailCapacity = FIRST_TAIL_CAPACITY;
  /**
   * While true, complete frames stay buffered instead of being handed out: the link's reader paused in the middle
   * of a chunk (one TCP read holds ~1,600 small calls). `resume` hands them out.
   */
  paused = false;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
    this.version = options.protocolVersion ?? PROTOCOL_VERSION;
  }

  /**
   * Bytes received and not yet handed out. A link closing with this > 0 and not paused was cut mid-frame; a paused
   * decoder may also hold complete frames.
   */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** How many chunks hold the pending bytes (what buffering costs beyond the bytes themselves). */
  get pendingChunks(): number {
    return this.chunks.length;
  }

  /** Feeds bytes; calls `onFrame` for each complete frame, in order. Throws ProtocolError on a bad header. */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    if (this.state === FAILED) throw new ProtocolError('decoder already failed');
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    this.run(onFrame);
    if (this.chunks.length > 1 && this.state !== FAILED) this.absorbSmallLast();
  }

  /** Clears `paused` and hands out the complete frames held meanwhile, in order. */
  resume(onFrame: (frame: Uint8Array) => void): void {
    this.paused = false;
    if (this.state === FAILED || this.bufferedBytes === 0) return;
    this.run(onFrame);
  }

  private run(onFrame: (frame: Uint8Array) => void): void {
    try {
      for (;;) {
        if (this.state === READ_HEADER) {
          if (this.bufferedBytes < HEADER_SIZE) return;
          this.readHeader();
        } else {
          if (this.bufferedBytes < this.frameLength || this.paused) return;
          const frame = this.consume(this.frameLength);
          // Before the handler, which may pause and resume this decoder (a nested run continues from here).
          this.state = READ_HEADER;
          onFrame(frame);
        }
      }
    } catch (err) {
      if (err instanceof ProtocolError) this.fail();
      throw err;
    }
  }

  private readHeader(): void {
    const first = this.chunks[0]!;
    // Peek at the header without consuming it, so a frame inside one chunk can later be sliced out whole.
    const inFirst = first.length - this.firstOffset >= HEADER_SIZE;
    const bodySize = inFirst
      ? checkHeader(first, this.firstOffset, this.maxBodySize, this.version)
      : checkHeader(this.peek(HEADER_SIZE), 0, this.maxBodySize, this.version);
    this.frameLength = HEADER_SIZE + bodySize;
    this.state = READ_BODY;
  }

  /** Copies the first `n` buffered bytes without consuming them (only used for a header split across chunks). */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.firstOffset;
    for (const chunk of this.chunks) {
      const take = Math.min(chunk.length - offset, n - filled);
      out.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered bytes: a view when they lie in one chunk, a copy otherwise. */
  private consume(n: number): Uint8Array {
    this.bufferedBytes -= n;
    const first = this.chunks[0]!;
    const left = first.length - this.firstOffset;
    if (n <= left) {
      if (first !== this.cutFrom) {
        this.cutFrom = first;
        this.cutBuffer = first.buffer;
        this.cutByteOffset = first.byteOffset;
      }
      const frame = new Uint8Array(this.cutBuffer, this.cutByteOffset + this.firstOffset, n);
      if (n === left) this.dropFirst();
      else this.firstOffset += n;
      return frame;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.firstOffset, n - filled);
      out.set(chunk.subarray(this.firstOffset, this.firstOffset + take), filled);
      filled += take;
      if (this.firstOffset + take === chunk.length) this.dropFirst();
      else this.firstOffset += take;
    }
    return out;
  }

  /**
   * Copies a small last chunk into the tail buffer (after the chunk before it, when that is the tail's own entry and
   * has room), so that many small writes cost one buffer, not one chunk each. Frames already handed out as views
   * of the tail are never written over: only the tail's unfilled end is.
   */
  private absorbSmallLast(): void {
    const last = this.chunks[this.chunks.length - 1]!;
    if (last.length >= SMALL_CHUNK) return;
    const before = this.chunks[this.chunks.length - 2];
    const tail = this.tail;
    if (tail && before !== undefined && before === this.tailEntry && this.tailFill + last.length <= tail.length) {
      tail.set(last, this.tailFill);
      this.tailFill += last.length;
      this.chunks.pop();
      this.tailEntry = tail.subarray(before.byteOffset - tail.byteOffset, this.tailFill);
      this.chunks[this.chunks.length - 1] = this.tailEntry;
      return;
    }
    const fresh = new Uint8Array(this.nextTailCapacity);
    this.nextTailCapacity = Math.min(this.nextTailCapacity * 2, MAX_TAIL_CAPACITY);
    fresh.set(last);
    this.tail = fresh;
    this.tailFill = last.length;
    this.tailEntry = fresh.subarray(0, last.length);
    this.chunks[this.chunks.length - 1] = this.tailEntry;
  }

  private dropFirst(): void {
    this.chunks.shift();
    this.firstOffset = 0;
    // Not kept past the chunk's last frame: an idle link would hold its last read's buffer.
    this.forgetCut();
  }

  private forgetCut(): void {
    this.cutFrom = undefined;
    this.cutBuffer = NO_BUFFER;
  }

  private fail(): void {
    this.state = FAILED;
    this.forgetCut();
    this.chunks.length = 0;
    this.firstOffset = 0;
    this.bufferedBytes = 0;
    this.tail = this.tailEntry = undefined;
  }
}

/**
 * The 28-byte frame header (docs/PROTOCOL.md). A frame is one `Uint8Array` holding the header and then the CBOR
 * body, so the gateway can forward a frame by rewriting one header field in place and never copy or decode it.
 */
import { copyBytes } from './copy-bytes.js';
import { ProtocolError } from './errors.js';

export const HEADER_SIZE = 28;
export const PROTOCOL_VERSION = 1;
/** Magic bytes `42 DE AD 42`, as libqi. */
export const MAGIC = Uint8Array.of(0x42, 0xde, 0xad, 0x42);
/** The magic as `readU32` reads it (little-endian): one comparison per header instead of four. */
const MAGIC_U32 = 0x42adde42;
/** Default maximum body size: 16 MiB. */
export const DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024;

export const MessageType = {
  Call: 1,
  Reply: 2,
  Error: 3,
  Post: 4,
  Event: 5,
  Capability: 6,
  Cancel: 7,
  Canceled: 8,
  /** A progress report of a Call still running, to its caller only; sent only to a Call flagged `WANTS_PROGRESS`. */
  Progress: 9,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Flag bit 0 of a version-1 Call: the caller asks for Progress frames. Set only towards a peer whose Capability
 * announced `features.progress` (a peer without it refuses any flag), so old peers never see it.
 */
export const WANTS_PROGRESS = 0x01;

/**
 * Flag bit 1 of a version-1 Reply: the method returned an object, and the body is `{ channel, metaObject }`, a
 * channel the acceptor opened on this link for that object (docs/PROTOCOL.md §5, Objects). Sent only to a peer
 * whose Capability announced `features.objects`.
 */
export const OBJECT_RESULT = 0x02;

// Field offsets within the header.
const ID = 4;
const SIZE = 8;
const VERSION = 12;
const TYPE = 14;
const FLAGS = 15;
const SERVICE = 16;
const OBJECT = 20;
const ACTION = 24;

/** The fields a sender chooses; magic, version, flags and size are filled in by `startFrame`. */
export interface FrameHeader {
  id: number;
  type: MessageType;
  /** The channel (binding) on this link; 0 is the link's control channel. */
  channel: number;
  object: number;
  action: number;
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16)) +
    bytes[offset + 3]! * 0x1000000
  );
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** One frame: header and body in one buffer. `body` is copied once, after the header. */
export function encodeFrame(header: FrameHeader, body: Uint8Array): Uint8Array {
  return buildFrame(header.type, header.channel, header.id, header.object, header.action, body);
}

/** `encodeFrame` with the fields as arguments: the hot path (calls, replies) makes no header object. */
export function buildFrame(
  type: MessageType,
  channel: number,
  id: number,
  object: number,
  action: number,
  body: Uint8Array,
  /** The body's bytes are `body[start..end)`: an encoder's buffer is copied from without a view of it. */
  start = 0,
  end = body.length,
): Uint8Array {
  const size = end - start;
  const frame = startFrame(type, channel, id, object, action, size);
  copyBytes(frame, HEADER_SIZE, body, start, end);
  return frame;
}

/** A frame for a body of `size` bytes with its header written; the caller writes the body after HEADER_SIZE. */
export function startFrame(type: MessageType, channel: number, id: number, object: number, action: number, size: number): Uint8Array {
  const frame = allocateFrame(HEADER_SIZE + size);
  frame[0] = 0x42;
  frame[1] = 0xde;
  frame[2] = 0xad;
  frame[3] = 0x42;
  writeU32(frame, ID, id);
  writeU32(frame, SIZE, size);
  frame[VERSION] = PROTOCOL_VERSION & 0xff;
  frame[VERSION + 1] = PROTOCOL_VERSION >>> 8;
  frame[TYPE] = type;
  frame[FLAGS] = 0;
  writeU32(frame, SERVICE, channel);
  writeU32(frame, OBJECT, object);
  writeU32(frame, ACTION, action);
  return frame;
}

/*
 * Frames are cut from shared slabs rather than allocated one by one: one allocation serves hundreds of small
 * frames, and frames built one after another lie next to each other, so a transport can write a tick's frames as
 * one view without concatenating them (see `joinAdjacent`). A slab region is handed out once and never reused;
 * a slab is freed when no frame cut from it is referenced any more (the scheme of Node's own Buffer pool).
 */
const SLAB_SIZE = 64 * 1024;
/** Larger frames get a buffer of their own, so one long-lived big frame cannot pin a slab for small ones. */
const LARGEST_SLAB_FRAME = 8 * 1024;
/** The slab frames are being cut from (a view is made from its ArrayBuffer: cheaper than `subarray`). */
let slab = new ArrayBuffer(0);
/** Bytes of `slab` handed out; starts full, so the first frame makes the first slab. */
let slabUsed = SLAB_SIZE;

/** A zero-copy home for one frame of `size` bytes. */
export function allocateFrame(size: number): Uint8Array {
  if (size > LARGEST_SLAB_FRAME) return new Uint8Array(size);
  if (SLAB_SIZE - slabUsed < size) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const frame = new Uint8Array(slab, slabUsed, size);
  slabUsed += size;
  return frame;
}

/**
 * Merges runs of frames that lie back to back in one ArrayBuffer (frames built in a row from one slab, or forwarded
 * whole from one read) into single views, so that writing a tick's large frames needs no copy. It reads each
 * frame's `buffer` and `byteOffset`, which cost 10–20 ns apiece on Node 20 (a frame's `length` costs 1): for small
 * frames, copying them all (`gatherFrames`) is cheaper than finding out which are adjacent.
 */
export function joinAdjacent(frames: Uint8Array[]): Uint8Array[] {
  const runs: Uint8Array[] = [];
  let first = frames[0]!;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i <= frames.length; i++) {
    const frame = frames[i];
    if (frame !== undefined && frame.buffer === first.buffer && frame.byteOffset === end) {
      end += frame.byteLength;
      continue;
    }
    const length = end - first.byteOffset;
    runs.push(length === first.byteLength ? first : new Uint8Array(first.buffer, first.byteOffset, length));
    if (frame === undefined) break;
    first = frame;
    end = frame.byteOffset + frame.byteLength;
  }
  return runs;
}

/**
 * Frames of this average size or less are copied into one buffer to be written; larger ones are joined where
 * adjacent and copied only where not. Copying a small frame costs ~25 ns (one `set`); finding whether it is
 * adjacent costs ~45 ns; at 1 KiB the copy's bytes (~0.1 ns each) make up the difference.
 */
const GATHER_AVERAGE_FRAME = 1024;

/** A tick's frames, `bytes` long in all, as one buffer to write (the one frame itself when there is one). */
export function gatherFrames(frames: Uint8Array[], bytes: number): Uint8Array {
  if (frames.length === 1) return frames[0]!;
  const parts = bytes <= frames.length * GATHER_AVERAGE_FRAME ? frames : joinAdjacent(frames);
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const frameId = (frame: Uint8Array): number => readU32(frame, ID);
export const frameBodySize = (frame: Uint8Array): number => readU32(frame, SIZE);
export const frameType = (frame: Uint8Array): number => frame[TYPE]!;
export const frameFlags = (frame: Uint8Array): number => frame[FLAGS]!;
export const frameVersion = (frame: Uint8Array): number => frame[VERSION]! | (frame[VERSION + 1]! << 8);
export const frameChannel = (frame: Uint8Array): number => readU32(frame, SERVICE);
export const frameObject = (frame: Uint8Array): number => readU32(frame, OBJECT);
export const frameAction = (frame: Uint8Array): number => readU32(frame, ACTION);
export const frameBody = (frame: Uint8Array): Uint8Array => frame.subarray(HEADER_SIZE);

/** Sets or clears the flags byte in place (a caller asking for progress; a gateway clearing it for an old service). */
export function setFrameFlags(frame: Uint8Array, flags: number): void {
  frame[FLAGS] = flags;
}

/** Rewrites the channel field in place: the whole of what a gateway does to a forwarded frame. */
export function setFrameChannel(frame: Uint8Array, channel: number): void {
  writeU32(frame, SERVICE, channel);
}

/** The header fields of a frame, for logs, tests and diagnostics. */
export function readHeader(frame: Uint8Array): FrameHeader & { size: number } {
  return {
    id: frameId(frame),
    type: frameType(frame) as MessageType,
    channel: frameChannel(frame),
    object: frameObject(frame),
    action: frameAction(frame),
    size: frameBodySize(frame),
  };
}

/** libqi's own binary protocol (lib/protocol/libqi/): the same header, version 0, with two defined flags. */
export const LIBQI_PROTOCOL_VERSION = 0;
/** The flags version 0 defines: DynamicPayload (bit 0) and ReturnType (bit 1). Version 1 defines WANTS_PROGRESS on a Call, OBJECT_RESULT on a Reply. */
const LIBQI_FLAGS = 0x03;

/**
 * Checks a complete header at `offset` and returns the body size it announces. Everything is checked here, before
 * a byte of the body is collected or allocated, so a hostile size field costs nothing. `version` is the protocol
 * the link speaks: PROTOCOL_VERSION (CBOR bodies) or LIBQI_PROTOCOL_VERSION.
 */
export function checkHeader(bytes: Uint8Array, offset: number, maxBodySize: number, version: number = PROTOCOL_VERSION): number {
  if (readU32(bytes, offset) !== MAGIC_U32) {
    const got = Array.from(bytes.subarray(offset, offset + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ProtocolError(`bad magic: expected 42 de ad 42, got ${got}`);
  }
  const got = bytes[offset + VERSION]! | (bytes[offset + VERSION + 1]! << 8);
  if (got !== version) {
    throw new ProtocolError(`unsupported protocol version ${got} (this link speaks version ${version})`);
  }
  const type = bytes[offset + TYPE]!;
  // Types are 1–9, Progress (9) being version 1's own: libqi defines types 1–8.
  if (type < MessageType.Call || type > MessageType.Progress || (type === MessageType.Progress && version !== PROTOCOL_VERSION)) {
    throw new ProtocolError(`unknown message type ${type}`);
  }
  const flags = bytes[offset + FLAGS]!;
  const allowed = version === LIBQI_PROTOCOL_VERSION ? LIBQI_FLAGS : type === MessageType.Call ? WANTS_PROGRESS : type === MessageType.Reply ? OBJECT_RESULT : 0;
  if ((flags & ~allowed) !== 0) throw new ProtocolError(`reserved flags must be 0, got 0x${flags.toString(16)}`);
  const size = readU32(bytes, offset + SIZE);
  if (size > maxBodySize) {
    throw new ProtocolError(`frame body of ${size} bytes exceeds the limit of ${maxBodySize}`, {
      bodySize: size,
      limit: maxBodySize,
    });
  }
  return size;
}

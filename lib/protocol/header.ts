/**
 * The 28-byte frame header (docs/PROTOCOL.md). A frame is one `Uint8Array` holding the header and then the CBOR
 * body, so the gateway can forward a frame by rewriting one header field in place and never copy or decode it.
 */
import { ProtocolError } from './errors.js';

export const HEADER_SIZE = 28;
export const PROTOCOL_VERSION = 1;
/** Magic bytes `42 DE AD 42`, as libqi. */
export const MAGIC = Uint8Array.of(0x42, 0xde, 0xad, 0x42);
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
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(MessageType).map(([name, value]) => [value, name]),
);

// Field offsets within the header.
const ID = 4;
const SIZE = 8;
const VERSION = 12;
const TYPE = 14;
const FLAGS = 15;
const SERVICE = 16;
const OBJECT = 20;
const ACTION = 24;

/** The fields a sender chooses; magic, version, flags and size are filled in by `encodeFrame`. */
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
  const frame = new Uint8Array(HEADER_SIZE + body.length);
  frame.set(MAGIC, 0);
  writeU32(frame, ID, header.id);
  writeU32(frame, SIZE, body.length);
  frame[VERSION] = PROTOCOL_VERSION & 0xff;
  frame[VERSION + 1] = PROTOCOL_VERSION >>> 8;
  frame[TYPE] = header.type;
  frame[FLAGS] = 0;
  writeU32(frame, SERVICE, header.channel);
  writeU32(frame, OBJECT, header.object);
  writeU32(frame, ACTION, header.action);
  frame.set(body, HEADER_SIZE);
  return frame;
}

export const frameId = (frame: Uint8Array): number => readU32(frame, ID);
export const frameBodySize = (frame: Uint8Array): number => readU32(frame, SIZE);
export const frameType = (frame: Uint8Array): number => frame[TYPE]!;
export const frameChannel = (frame: Uint8Array): number => readU32(frame, SERVICE);
export const frameObject = (frame: Uint8Array): number => readU32(frame, OBJECT);
export const frameAction = (frame: Uint8Array): number => readU32(frame, ACTION);
export const frameBody = (frame: Uint8Array): Uint8Array => frame.subarray(HEADER_SIZE);

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

/**
 * Checks a complete header at `offset` and returns the body size it announces. Everything is checked here, before
 * a byte of the body is collected or allocated, so a hostile size field costs nothing.
 */
export function checkHeader(bytes: Uint8Array, offset: number, maxBodySize: number): number {
  for (let i = 0; i < 4; i++) {
    if (bytes[offset + i] !== MAGIC[i]) {
      const got = Array.from(bytes.subarray(offset, offset + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new ProtocolError(`bad magic: expected 42 de ad 42, got ${got}`);
    }
  }
  const version = bytes[offset + VERSION]! | (bytes[offset + VERSION + 1]! << 8);
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError(`unsupported protocol version ${version} (this peer speaks version ${PROTOCOL_VERSION})`);
  }
  const type = bytes[offset + TYPE]!;
  if (TYPE_NAMES[type] === undefined) throw new ProtocolError(`unknown message type ${type}`);
  const flags = bytes[offset + FLAGS]!;
  if (flags !== 0) throw new ProtocolError(`reserved flags must be 0, got 0x${flags.toString(16)}`);
  const size = readU32(bytes, offset + SIZE);
  if (size > maxBodySize) {
    throw new ProtocolError(`frame body of ${size} bytes exceeds the limit of ${maxBodySize}`, {
      bodySize: size,
      limit: maxBodySize,
    });
  }
  return size;
}

/**
 * CBOR bodies. One shared cbor-x encoder, without records (a peer in another language must read plain maps) and
 * never in `sequential` mode: a gateway re-routes frames, so no decoder sees every message of a stream in order.
 */
import * as cborX from 'cbor-x';
import { Decoder, Encoder } from 'cbor-x';
import { bodyViolation } from './cbor-limits.js';
import { copyBytes } from './copy-bytes.js';
import { ProtocolError } from './errors.js';
import { byteStringBodySize, NodeBuffer, NOT_BYTE_STRINGS, readByteStringBody, writeByteStringBody } from './byte-string-body.js';
import { buildFrame, HEADER_SIZE, startFrame, type FrameHeader, type MessageType } from './header.js';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** Returns a body of its own: the encoder never writes over what it has handed out. */
export function encodeBody(value: unknown): Uint8Array {
  const encoded = cbor.encode(value);
  checkEncoded(encoded, 0, encoded.length);
  return encoded;
}

/**
 * We send only what we would accept: cbor-x writes a Date, Map, Set, RegExp, Error, typed array (but Uint8Array)
 * or bigint beyond 64 bits with a tag that every receiver refuses, so the sender fails instead, where the call path
 * reports it (BadArgumentsError for arguments, RemoteError for a result).
 */
function checkEncoded(bytes: Uint8Array, start: number, end: number): void {
  const violation = bodyViolation(bytes, start, end);
  if (violation !== undefined) throw new Error(`the value cannot be sent as a CBOR body: ${violation}`);
}

/**
 * Encodes into the encoder's own buffer and says where, without making a view of it: the caller copies the bytes
 * out at once (into a frame). `REUSE_BUFFER_MODE` is cbor-x's documented way of returning its buffer with
 * `start`/`end`; its typings do not declare the mode argument.
 */
const encodeInPlace = cbor.encode.bind(cbor) as unknown as (value: unknown, mode: number) => Uint8Array & { start: number; end: number };
const { REUSE_BUFFER_MODE } = cborX as unknown as { REUSE_BUFFER_MODE: number };

/*
 * Small bodies are decoded from a copy in one reused buffer. cbor-x caches a DataView on the buffer it decodes
 * (a new one, and a new property, for every fresh frame view): from a reused buffer that costs nothing, and the
 * copy of a small body is cheaper than the view, the DataView and the property together (about 290 ns against
 * 175 ns for a 64-byte payload). This decoder copies byte strings out (`copyBuffers`), so nothing decoded from the
 * reused buffer refers to it. Large bodies are decoded in place, from a Buffer view of the frame (frames are plain
 * Uint8Arrays, and cbor-x gives byte strings the class of what it decodes): their byte strings are views of it.
 */
const REUSED_BUFFER_LIMIT = 4 * 1024;
const copyingDecoder = new Decoder({ useRecords: false, mapsAsObjects: true, copyBuffers: true });
/** A Buffer in Node, so that decoded byte strings are Buffers whatever the transport. */
const smallBodies = NodeBuffer ? NodeBuffer.allocUnsafeSlow(REUSED_BUFFER_LIMIT) : new Uint8Array(REUSED_BUFFER_LIMIT);

/** cbor-x decodes `source[0..end)` when given `end` (undeclared in its typings): no view of the reused buffer. */
const decodeSmall = copyingDecoder.decode.bind(copyingDecoder) as unknown as (source: Uint8Array, end: number) => unknown;

/** Decodes a body received from a peer; undecodable bytes are the peer's fault and reported as a ProtocolError. */
export function decodeBody(bytes: Uint8Array): unknown {
  return decodeRange(bytes, 0, bytes.length);
}

function decodeRange(bytes: Uint8Array, start: number, end: number): unknown {
  const size = end - start;
  if (size === 0) return undefined;
  const byteStrings = readByteStringBody(bytes, start, end, size <= REUSED_BUFFER_LIMIT);
  if (byteStrings !== NOT_BYTE_STRINGS) return byteStrings;
  // Before cbor-x, which decodes what it accepts in time linear in the body's size (cbor-limits.ts says why).
  const violation = bodyViolation(bytes, start, end);
  if (violation !== undefined) throw new ProtocolError(`undecodable CBOR body: ${violation}`);
  try {
    if (size > REUSED_BUFFER_LIMIT) {
      return cbor.decode(NodeBuffer ? NodeBuffer.from(bytes.buffer, bytes.byteOffset + start, size) : bytes.subarray(start, end));
    }
    copyBytes(smallBodies, 0, bytes, start, end);
    return decodeSmall(smallBodies, size);
  } catch (err) {
    throw new ProtocolError(`undecodable CBOR body: ${(err as Error).message}`);
  }
}

/** Encodes `value` as the body of a frame with `header`. */
export function encodeMessage(header: FrameHeader, value: unknown): Uint8Array {
  return buildMessage(header.type, header.channel, header.id, header.object, header.action, value);
}

/** `encodeMessage` with the header fields as arguments (no header object on the hot path). */
export function buildMessage(type: MessageType, channel: number, id: number, object: number, action: number, value: unknown): Uint8Array {
  if (value === undefined) return buildFrame(type, channel, id, object, action, EMPTY, 0, 0);
  const byteStringSize = byteStringBodySize(value);
  if (byteStringSize >= 0) {
    const frame = startFrame(type, channel, id, object, action, byteStringSize);
    writeByteStringBody(frame, HEADER_SIZE, value as Uint8Array | Uint8Array[]);
    return frame;
  }
  const encoded = encodeInPlace(value, REUSE_BUFFER_MODE);
  checkEncoded(encoded, encoded.start, encoded.end);
  return buildFrame(type, channel, id, object, action, encoded, encoded.start, encoded.end);
}

export function decodeMessageBody(frame: Uint8Array): unknown {
  return decodeRange(frame, HEADER_SIZE, frame.length);
}

const EMPTY = new Uint8Array(0);

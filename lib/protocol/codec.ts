/**
 * CBOR bodies. One shared cbor-x encoder, without records (a peer in another language must read plain maps) and
 * never in `sequential` mode: a gateway re-routes frames, so no decoder sees every message of a stream in order.
 */
import { Encoder } from 'cbor-x';
import { ProtocolError } from './errors.js';
import { buildFrame, frameBody, type FrameHeader, type MessageType } from './header.js';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

export function encodeBody(value: unknown): Uint8Array {
  return cbor.encode(value);
}

/** Decodes a body received from a peer; undecodable bytes are the peer's fault and reported as a ProtocolError. */
export function decodeBody(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return cbor.decode(bytes);
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
  return buildFrame(type, channel, id, object, action, value === undefined ? EMPTY : encodeBody(value));
}

export function decodeMessageBody(frame: Uint8Array): unknown {
  return decodeBody(frameBody(frame));
}

const EMPTY = new Uint8Array(0);

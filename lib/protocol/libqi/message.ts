/**
 * libqi's message: the 28-byte header qimessaging shares (header.ts: magic, id, size, type, service, object,
 * action, little-endian) with version 0 and flags, then a payload in libqi's binary encoding (value-codec.ts).
 * What the payload holds depends on the type: a Call's or Post's is the method's parameter tuple, a Reply's the
 * bare return value, an Error's a dynamic `m` (a string in practice), an Event's the signal's tuple, a Cancel's
 * the `I` id of the call to cancel, a Canceled's nothing.
 */
import { ProtocolError } from '../errors.js';
import {
  allocateFrame,
  checkHeader,
  DEFAULT_MAX_BODY_SIZE,
  frameAction,
  frameBodySize,
  frameChannel,
  frameFlags,
  frameId,
  frameObject,
  frameType,
  HEADER_SIZE,
  LIBQI_PROTOCOL_VERSION,
  MessageType,
  writeU32,
} from '../header.js';

/** Bit 0: the payload is one dynamic `m` instead of the member's own signature. */
export const FLAG_DYNAMIC_PAYLOAD = 0x01;
/** Bit 1: a Call's payload ends with the return signature the caller expects, as an `s`. */
export const FLAG_RETURN_TYPE = 0x02;

/** Addresses every libqi peer knows. */
export const LibqiAddress = {
  /** service 0, object 0: the socket itself; action 8 is `authenticate`. */
  socketService: 0,
  socketObject: 0,
  authenticateAction: 8,
  directoryService: 1,
  /** A service's main object; objects passed as `o` get others. */
  mainObject: 1,
} as const;

/** Built-in methods of every libqi object, and the first id of its own members. */
export const BuiltinAction = {
  registerEvent: 0,
  unregisterEvent: 1,
  metaObject: 2,
  terminate: 3,
  property: 5,
  setProperty: 6,
  properties: 7,
  registerEventWithSignature: 8,
  firstUserMember: 100,
} as const;

export interface LibqiHeader {
  id: number;
  type: MessageType;
  flags: number;
  service: number;
  object: number;
  action: number;
}

/** A whole message (header + payload) in one buffer. */
export function buildLibqiMessage(header: LibqiHeader, payload: Uint8Array): Uint8Array {
  const frame = allocateFrame(HEADER_SIZE + payload.length);
  frame[0] = 0x42;
  frame[1] = 0xde;
  frame[2] = 0xad;
  frame[3] = 0x42;
  writeU32(frame, 4, header.id);
  writeU32(frame, 8, payload.length);
  frame[12] = LIBQI_PROTOCOL_VERSION;
  frame[13] = 0;
  frame[14] = header.type;
  frame[15] = header.flags;
  writeU32(frame, 16, header.service);
  writeU32(frame, 20, header.object);
  writeU32(frame, 24, header.action);
  frame.set(payload, HEADER_SIZE);
  return frame;
}

/** The header of a whole message, checked (magic, version 0, type, flags, size matching the buffer). */
export function readLibqiHeader(frame: Uint8Array, maxBodySize = DEFAULT_MAX_BODY_SIZE): LibqiHeader {
  if (frame.length < HEADER_SIZE) throw new ProtocolError(`a libqi message of ${frame.length} bytes is shorter than its header`);
  const size = checkHeader(frame, 0, maxBodySize, LIBQI_PROTOCOL_VERSION);
  if (size !== frame.length - HEADER_SIZE) throw new ProtocolError(`header announces ${size} payload bytes, message has ${frame.length - HEADER_SIZE}`);
  return {
    id: frameId(frame),
    type: frameType(frame) as MessageType,
    flags: frameFlags(frame),
    service: frameChannel(frame),
    object: frameObject(frame),
    action: frameAction(frame),
  };
}

export const libqiPayload = (frame: Uint8Array): Uint8Array => frame.subarray(HEADER_SIZE, HEADER_SIZE + frameBodySize(frame));

import { decodeBody } from '../protocol/codec.js';
import { frameBody, readHeader } from '../protocol/header.js';

/** Header fields and decoded body of each frame, e.g. of a FakeLink's `sent`, for assertions in tests. */
export function decodeFrames(frames: readonly Uint8Array[]): Array<{ header: ReturnType<typeof readHeader>; body: unknown }> {
  return frames.map((frame) => ({ header: readHeader(frame), body: decodeBody(frameBody(frame)) }));
}

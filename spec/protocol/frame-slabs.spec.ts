import { expect } from 'chai';
import { allocateFrame, encodeFrame, frameBody, gatherFrames, joinAdjacent, MessageType, readHeader } from '../../lib/protocol/header.js';

describe('frame slabs and adjacent writes', () => {
  it('gives each frame its own bytes: writing one never changes another', () => {
    const frames = Array.from({ length: 2_000 }, (_, i) => encodeFrame({ id: i, type: MessageType.Call, channel: 1, object: 1, action: 100 }, Uint8Array.of(i & 0xff, 1, 2)));
    for (const frame of frames) frame.fill(0xee, 28);
    frames.forEach((frame, i) => expect(readHeader(frame).id).to.equal(i));
    expect(frames.every((frame) => frameBody(frame).every((b) => b === 0xee))).to.equal(true);
  });

  it('builds frames made in a row back to back, so a tick of them joins into one view', () => {
    const frames = [1, 2, 3].map((id) => encodeFrame({ id, type: MessageType.Reply, channel: 2, object: 1, action: 100 }, Uint8Array.of(id)));
    const runs = joinAdjacent(frames);
    expect(runs).to.have.length(1);
    expect([...runs[0]!]).to.deep.equal(frames.flatMap((f) => [...f]));
  });

  it('joins only frames that really are adjacent in the same buffer, in order', () => {
    const chunk = Uint8Array.from({ length: 40 }, (_, i) => i);
    const other = Uint8Array.from({ length: 10 }, (_, i) => 100 + i);
    const parts = [chunk.subarray(0, 10), chunk.subarray(10, 20), other, chunk.subarray(20, 30), chunk.subarray(35, 40), chunk.subarray(30, 35)];
    const runs = joinAdjacent(parts);
    expect(runs.map((r) => [...r])).to.deep.equal([
      [...chunk.subarray(0, 20)],
      [...other],
      [...chunk.subarray(20, 30)],
      [...chunk.subarray(35, 40)],
      [...chunk.subarray(30, 35)],
    ]);
    expect(runs[1]).to.equal(other); // a lone frame is passed on as it is
  });

  it('gathers a tick of small frames into one buffer, in order, whether adjacent or not', () => {
    const chunk = Uint8Array.from({ length: 40 }, (_, i) => i);
    const other = Uint8Array.from({ length: 10 }, (_, i) => 100 + i);
    const parts = [chunk.subarray(0, 10), other, chunk.subarray(30, 40), chunk.subarray(10, 30)];
    const gathered = gatherFrames(parts, 50);
    expect([...gathered]).to.deep.equal(parts.flatMap((p) => [...p]));
    expect(gathered.buffer).to.not.equal(chunk.buffer); // a copy: the chunk is not written to
    expect(gatherFrames([other], 10)).to.equal(other); // one frame is written as it is
  });

  it('writes large adjacent frames as the view they make together, without a copy', () => {
    const chunk = new Uint8Array(3 * 4096);
    const frames = [chunk.subarray(0, 4096), chunk.subarray(4096, 8192), chunk.subarray(8192)];
    const gathered = gatherFrames(frames, chunk.length);
    expect(gathered.buffer).to.equal(chunk.buffer);
    expect(gathered.length).to.equal(chunk.length);
    const apart = [chunk.subarray(8192), chunk.subarray(0, 4096)];
    expect([...gatherFrames(apart, 8192)]).to.deep.equal([...apart[0]!, ...apart[1]!]);
  });

  it('gives large frames a buffer of their own', () => {
    const large = allocateFrame(1 << 20);
    expect(large.byteOffset).to.equal(0);
    expect(large.buffer.byteLength).to.equal(1 << 20);
  });
});

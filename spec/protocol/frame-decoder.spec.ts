import { expect } from 'chai';
import fc from 'fast-check';
import { ProtocolError } from '../../lib/protocol/errors.js';
import { FrameDecoder } from '../../lib/protocol/frame-decoder.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { encodeFrame, HEADER_SIZE, LIBQI_PROTOCOL_VERSION, MessageType, OBJECT_RESULT, readHeader, WANTS_PROGRESS, writeU32, type FrameHeader } from '../../lib/protocol/header.js';

const header: FrameHeader = { id: 7, type: MessageType.Call, channel: 3, object: 1, action: 100 };
const frameOf = (body: number[], h: FrameHeader = header): Uint8Array => encodeFrame(h, Uint8Array.from(body));

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => frames.push(Uint8Array.from(frame)));
  return frames;
}

function expectProtocolError(action: () => void, message: RegExp): void {
  expect(action).to.throw(ProtocolError, message);
}

describe('FrameDecoder', () => {
  it('decodes a frame whose header arrives byte by byte', () => {
    const frame = frameOf([1, 2, 3]);
    const frames = decodeAll(new FrameDecoder(), Array.from(frame, (b) => Uint8Array.of(b)));
    expect(frames).to.deep.equal([frame]);
  });

  it('decodes a frame whose body is split over chunks', () => {
    const frame = frameOf(Array.from({ length: 100 }, (_, i) => i));
    const frames = decodeAll(new FrameDecoder(), [frame.subarray(0, 40), frame.subarray(40, 90), frame.subarray(90)]);
    expect(frames).to.deep.equal([frame]);
  });

  it('decodes several frames from one chunk, and a frame plus the start of the next', () => {
    const [a, b, c] = [frameOf([1]), frameOf([2, 2]), frameOf([3, 3, 3])];
    const all = Uint8Array.from([...a!, ...b!, ...c!]);
    const decoder = new FrameDecoder();
    const first = decodeAll(decoder, [all.subarray(0, a!.length + b!.length + 5)]);
    expect(first).to.deep.equal([a, b]);
    expect(decoder.pendingBytes).to.equal(5);
    expect(decodeAll(decoder, [all.subarray(a!.length + b!.length + 5)])).to.deep.equal([c]);
    expect(decoder.pendingBytes).to.equal(0);
  });

  it('hands out a frame lying within one chunk without copying it', () => {
    const frame = frameOf([9, 9]);
    const chunk = Uint8Array.from([...frame, ...frame]);
    const seen: Uint8Array[] = [];
    new FrameDecoder().push(chunk, (f) => seen.push(f));
    expect(seen[0]!.buffer).to.equal(chunk.buffer);
    expect(seen[1]!.byteOffset).to.equal(chunk.byteOffset + frame.length);
  });

  it('checks a header that starts inside a chunk: the frames before it arrive, then ProtocolError', () => {
    const good = frameOf([1, 2]);
    const bad = frameOf([3]);
    bad[0] = 0x41;
    const seen: Uint8Array[] = [];
    expectProtocolError(() => new FrameDecoder().push(Uint8Array.from([...good, ...bad]), (f) => seen.push(Uint8Array.from(f))), /bad magic.*41 de ad 42/);
    expect(seen).to.deep.equal([good]);
  });

  it('refuses a bad magic, naming the bytes', () => {
    const frame = frameOf([1]);
    frame[0] = 0x41;
    expectProtocolError(() => new FrameDecoder().push(frame, () => {}), /bad magic.*41 de ad 42/);
  });

  it('refuses another protocol version', () => {
    const frame = frameOf([1]);
    frame[12] = 2;
    expectProtocolError(() => new FrameDecoder().push(frame, () => {}), /unsupported protocol version 2/);
  });

  it('refuses an unknown message type and non-zero flags', () => {
    const unknownType = frameOf([1]);
    unknownType[14] = 42;
    expectProtocolError(() => new FrameDecoder().push(unknownType, () => {}), /unknown message type 42/);
    const flagged = frameOf([1]);
    flagged[15] = 4;
    expectProtocolError(() => new FrameDecoder().push(flagged, () => {}), /flags must be 0/);
  });

  it('accepts the OBJECT_RESULT flag on a Reply only', () => {
    const reply = encodeMessage({ type: MessageType.Reply, channel: 1, id: 1, object: 1, action: 100 }, { channel: 2 });
    reply[15] = OBJECT_RESULT;
    expect(decodeAll(new FrameDecoder(), [reply])).to.have.length(1);
    const event = encodeMessage({ type: MessageType.Event, channel: 1, id: 0, object: 1, action: 100 }, []);
    event[15] = OBJECT_RESULT;
    expectProtocolError(() => new FrameDecoder().push(event, () => {}), /flags must be 0/);
  });

  it('accepts the WANTS_PROGRESS flag on a Call only, and Progress frames in version 1 only', () => {
    const call = encodeMessage({ type: MessageType.Call, channel: 1, id: 1, object: 1, action: 100 }, []);
    call[15] = WANTS_PROGRESS;
    expect(decodeAll(new FrameDecoder(), [call])).to.have.length(1);
    const reply = encodeMessage({ type: MessageType.Reply, channel: 1, id: 1, object: 1, action: 100 }, 1);
    reply[15] = WANTS_PROGRESS;
    expectProtocolError(() => new FrameDecoder().push(reply, () => {}), /flags must be 0/);
    const objectCall = call.slice();
    objectCall[15] = OBJECT_RESULT;
    expectProtocolError(() => new FrameDecoder().push(objectCall, () => {}), /flags must be 0/);
    const progress = encodeMessage({ type: MessageType.Progress, channel: 1, id: 1, object: 1, action: 100 }, 0.5);
    expect(decodeAll(new FrameDecoder(), [progress])).to.have.length(1);
    const libqi = progress.slice();
    libqi[12] = LIBQI_PROTOCOL_VERSION;
    expectProtocolError(() => new FrameDecoder({ protocolVersion: LIBQI_PROTOCOL_VERSION }).push(libqi, () => {}), /unknown message type 9/);
  });

  it('refuses an oversize size field from the header alone, before any body byte arrives', () => {
    const headerOnly = frameOf([]).subarray(0, HEADER_SIZE);
    writeU32(headerOnly, 8, 0xffffffff);
    let thrown: unknown;
    try {
      new FrameDecoder({ maxBodySize: 1024 }).push(headerOnly, () => expect.fail('no frame may be delivered'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ProtocolError);
    expect((thrown as ProtocolError).message).to.contain('4294967295').and.contain('1024');
    expect((thrown as ProtocolError).data).to.deep.equal({ bodySize: 0xffffffff, limit: 1024 });
  });

  it('accepts a body exactly at the limit', () => {
    const frame = frameOf(Array.from({ length: 64 }, () => 1));
    expect(decodeAll(new FrameDecoder({ maxBodySize: 64 }), [frame])).to.have.length(1);
  });

  it('counts the bytes of a truncated frame', () => {
    const decoder = new FrameDecoder();
    decodeAll(decoder, [frameOf([1, 2, 3, 4]).subarray(0, 30)]);
    expect(decoder.pendingBytes).to.equal(30);
  });

  it('keeps a large frame sent one byte per write in a few buffers, not a chunk per byte', () => {
    const body = Array.from({ length: 1 << 20 }, (_, i) => i & 0xff);
    const frame = frameOf(body);
    const decoder = new FrameDecoder();
    const frames: Uint8Array[] = [];
    let mostChunks = 0;
    for (let i = 0; i < frame.length; i++) {
      decoder.push(frame.subarray(i, i + 1), (f) => frames.push(f));
      mostChunks = Math.max(mostChunks, decoder.pendingChunks);
    }
    // 1 MiB in tails of 4 KiB doubling to 256 KiB: about ten buffers (it was one chunk per byte).
    expect(mostChunks).to.be.at.most(12);
    expect(frames).to.have.length(1);
    expect(frames[0]).to.deep.equal(frame);
  });

  it('never writes over a frame it handed out as a view while small chunks keep arriving (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 40 }), (bodies, sizes) => {
        const frames = bodies.map((body, i) => encodeFrame({ ...header, id: i }, body));
        const stream = Uint8Array.from(frames.flatMap((f) => [...f]));
        const decoder = new FrameDecoder();
        const views: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = sizes.length > 0 ? sizes[i % sizes.length]! : 7;
          decoder.push(Uint8Array.from(stream.subarray(at, at + size)), (f) => views.push(f));
          at += size;
        }
        expect(views).to.deep.equal(frames);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses further input once it has failed', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push(new Uint8Array(28).fill(0), () => {})).to.throw(ProtocolError);
    expect(() => decoder.push(frameOf([1]), () => {})).to.throw(ProtocolError, /already failed/);
  });

  it('decodes any sequence of frames cut at any points into the same frames (property)', () => {
    const arbitraryFrame = fc
      .record({
        id: fc.nat(),
        type: fc.constantFrom(...Object.values(MessageType)),
        channel: fc.nat(),
        object: fc.nat(),
        action: fc.nat(),
        body: fc.uint8Array({ maxLength: 300 }),
      })
      .map(({ body, ...h }) => encodeFrame(h, body));
    fc.assert(
      fc.property(fc.array(arbitraryFrame, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const stream = Uint8Array.from(frames.flatMap((f) => [...f]));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let last = 0;
        for (const point of [...points, stream.length]) {
          chunks.push(stream.subarray(last, point));
          last = point;
        }
        const decoded = decodeAll(new FrameDecoder(), chunks);
        expect(decoded).to.deep.equal(frames);
        expect(decoded.map(readHeader)).to.deep.equal(frames.map(readHeader));
      }),
      { numRuns: 300 },
    );
  });
});

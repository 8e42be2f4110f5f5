import { expect } from 'chai';
import { decode, Encoder } from 'cbor-x';
import fc from 'fast-check';
import { byteStringBodySize, NOT_BYTE_STRINGS, readByteStringBody } from '../../lib/protocol/byte-string-body.js';
import { buildMessage, decodeMessageBody } from '../../lib/protocol/codec.js';
import { frameBody, MessageType, readHeader } from '../../lib/protocol/header.js';

// The encoder the codec uses for every other value, configured the same way.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });
const message = (value: unknown): Uint8Array => buildMessage(MessageType.Call, 3, 9, 1, 100, value);
const lengths = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom(23, 24, 255, 256, 65_535, 65_536, 70_000));
const buffers = lengths.chain((length) => fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => Buffer.from(bytes)));

describe('byte-string bodies written and read without cbor-x', () => {
  it('writes exactly the bytes cbor-x writes, for a Buffer and for arrays of up to 23 Buffers', () => {
    fc.assert(
      fc.property(fc.oneof(buffers, fc.array(buffers, { maxLength: 23 })), (value) => {
        const frame = message(value);
        expect(byteStringBodySize(value)).to.be.at.least(0);
        expect(Buffer.from(frameBody(frame)).equals(cbor.encode(value))).to.equal(true);
        expect(readHeader(frame)).to.include({ id: 9, channel: 3, object: 1, action: 100, size: frameBody(frame).length });
        expect(decodeMessageBody(frame)).to.deep.equal(value);
      }),
      { numRuns: 150 },
    );
  });

  it('leaves every other value to cbor-x: a tagged Uint8Array, mixed arrays, long arrays, plain values', () => {
    const bytes = Buffer.from([1, 2, 3]);
    for (const value of [new Uint8Array([1, 2]), [bytes, 1], [bytes, 'x'], Array.from({ length: 24 }, () => bytes), 'text', 7, { bytes }, [], null]) {
      expect(byteStringBodySize(value), String(value)).to.equal(value instanceof Array && value.length === 0 ? 1 : -1);
      expect(Buffer.from(frameBody(message(value))).equals(cbor.encode(value))).to.equal(true);
    }
  });

  it('reads what cbor-x reads: any body it accepts gives cbor-x\'s value, anything else is left to cbor-x', () => {
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 24 }).map((list) => new Uint8Array(cbor.encode(list.map((b) => Buffer.from(b))))),
      fc.tuple(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 5 }), fc.nat(8)).map(([list, cut]) => {
        const whole = cbor.encode(list.map((b) => Buffer.from(b)));
        return new Uint8Array(whole.subarray(0, Math.max(0, whole.length - cut)));
      }),
    );
    let read = 0;
    fc.assert(
      fc.property(bodies, (body) => {
        fc.pre(body.length > 0);
        const value = readByteStringBody(body, 0, body.length, true);
        if (value === NOT_BYTE_STRINGS) return;
        read++;
        expect(value).to.deep.equal(decode(body));
      }),
      { numRuns: 1_000 },
    );
    expect(read, 'bodies read by the fast path').to.be.greaterThan(200);
  });

  it('gives small byte strings bytes of their own and large ones as views of the frame, all as Buffers', () => {
    const small = message([Buffer.from([1, 2, 3])]);
    const large = message([Buffer.alloc(10_000, 9)]);
    const [fromSmall] = decodeMessageBody(small) as Buffer[];
    const [fromLarge] = decodeMessageBody(large) as Buffer[];
    expect(Buffer.isBuffer(fromSmall) && Buffer.isBuffer(fromLarge)).to.equal(true);
    small.fill(0, 28);
    expect([...fromSmall!]).to.deep.equal([1, 2, 3]);
    expect(fromLarge!.buffer).to.equal(large.buffer);
  });
});

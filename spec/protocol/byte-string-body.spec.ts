import { expect } from 'chai';
import { decode, Encoder } from 'cbor-x';
import fc from 'fast-check';
import { byteStringBodySize, NOT_BYTE_STRINGS, readByteStringBody } from '../../lib/protocol/byte-string-body.js';
import { buildMessage, decodeBody, decodeMessageBody } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/protocol/errors.js';
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
      fc.property(bodies, fc.boolean(), (body, copy) => {
        fc.pre(body.length > 0);
        const value = readByteStringBody(body, 0, body.length, copy);
        if (value === NOT_BYTE_STRINGS) return;
        read++;
        // chai's deep equality does not tell a Buffer from a Uint8Array: check the class apart.
        expect(value).to.deep.equal(decode(body));
        const strings = Array.isArray(value) ? value : [value];
        expect(strings.every((bytes) => Buffer.isBuffer(bytes))).to.equal(true);
        expect(strings.every((bytes) => (bytes as Buffer).buffer === body.buffer)).to.equal(!copy || strings.length === 0);
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
    expect(Buffer.isBuffer(fromSmall)).to.equal(true);
    expect(Buffer.isBuffer(fromLarge)).to.equal(true);
    small.fill(0, 28);
    expect([...fromSmall!]).to.deep.equal([1, 2, 3]);
    expect(fromLarge!.buffer).to.equal(large.buffer);
  });

  it('leaves truncated and hostile byte-string bodies to cbor-x, which reports them as ProtocolError', () => {
    const hostile = [
      [0x5a, 0xff, 0xff, 0xff, 0xff], // a 4 GiB byte string in a 5-byte body
      [0x58], // a length byte missing
      [0x59, 0x00], // half a length
      [0x43, 1, 2], // 3 bytes announced, 2 there
      [0x81], // an array of one, empty
      [0x97, 0x40], // an array of 23, one there
      [0x82, 0x41, 1], // an array of two, one there
    ];
    for (const bytes of hostile) {
      const body = Uint8Array.from(bytes);
      expect(readByteStringBody(body, 0, body.length, true), bytes.join(' ')).to.equal(NOT_BYTE_STRINGS);
      expect(() => decodeBody(body), bytes.join(' ')).to.throw(ProtocolError);
    }
  });

  it('reads a body followed by bytes of another as not a byte-string body', () => {
    const body = Uint8Array.from([0x41, 7, 0x01]);
    expect(readByteStringBody(body, 0, body.length, true)).to.equal(NOT_BYTE_STRINGS);
  });
});

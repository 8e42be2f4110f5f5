import { expect } from 'chai';
import { decodeBody, encodeBody } from '../../lib/protocol/codec.js';
import {
  BadArgumentsError,
  ERROR_CODES,
  errorFromBody,
  ProtocolError,
  qiError,
  QiError,
  RemoteError,
  ServiceGoneError,
  toQiError,
} from '../../lib/protocol/errors.js';
import { encodeFrame, frameBody, MAGIC, MessageType, readHeader, readU32, setFrameChannel, writeU32 } from '../../lib/protocol/header.js';

describe('frame header', () => {
  it('writes and reads every field, little-endian, after the magic and version 1', () => {
    const frame = encodeFrame({ id: 0x01020304, type: MessageType.Event, channel: 5, object: 1, action: 0xfffffffe }, Uint8Array.of(9, 9));
    expect([...frame.subarray(0, 4)]).to.deep.equal([...MAGIC]);
    expect([...frame.subarray(4, 8)]).to.deep.equal([4, 3, 2, 1]);
    expect([frame[12], frame[13]]).to.deep.equal([1, 0]);
    expect(readHeader(frame)).to.deep.equal({ id: 0x01020304, type: MessageType.Event, channel: 5, object: 1, action: 0xfffffffe, size: 2 });
    expect([...frameBody(frame)]).to.deep.equal([9, 9]);
  });

  it('rewrites the channel field only', () => {
    const frame = encodeFrame({ id: 1, type: MessageType.Call, channel: 5, object: 1, action: 100 }, Uint8Array.of(1, 2, 3));
    const before = Uint8Array.from(frame);
    setFrameChannel(frame, 0xabcdef01);
    expect(readHeader(frame).channel).to.equal(0xabcdef01);
    const changed = [...frame].map((b, i) => (b === before[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed.every((i) => i >= 16 && i < 20)).to.equal(true);
  });

  it('reads u32 values at and above 2^31 as positive numbers', () => {
    const bytes = new Uint8Array(4);
    for (const value of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]) {
      writeU32(bytes, 0, value);
      expect(readU32(bytes, 0)).to.equal(value);
    }
  });
});

describe('CBOR bodies', () => {
  it('round-trip the values services exchange', () => {
    for (const value of [null, true, 42, -7.25, 'text', [1, 'a', [null]], { a: 1, b: { c: [2] } }, new Uint8Array([0, 255])]) {
      expect(decodeBody(encodeBody(value))).to.deep.equal(value);
    }
  });

  it('decode an empty body as undefined (a void reply)', () => {
    expect(decodeBody(new Uint8Array(0))).to.equal(undefined);
  });

  it('report undecodable bytes as a ProtocolError', () => {
    expect(() => decodeBody(Uint8Array.of(0x5f, 0xff, 0xff))).to.throw(ProtocolError, /undecodable CBOR/);
  });

  it('give decoded byte strings bytes of their own: the next decode never changes them', () => {
    const first = decodeBody(encodeBody([Buffer.alloc(64, 1)])) as Buffer[];
    decodeBody(encodeBody([Buffer.alloc(64, 2)]));
    expect([...first[0]!].every((b) => b === 1)).to.equal(true);
    expect(Buffer.isBuffer(first[0])).to.equal(true);
  });

  it('decode small and large bodies alike: byte strings come out as Buffers, from plain Uint8Array frames too', () => {
    for (const size of [16, 4 << 10, 64 << 10]) {
      // Bodies the byte-string fast path takes, and bodies cbor-x decodes (copied when small, in place when large).
      const bodies = [[Buffer.alloc(size, 7)], [Buffer.alloc(size, 7), 1], { bytes: Buffer.alloc(size, 7) }];
      for (const body of bodies) {
        const decoded = decodeBody(new Uint8Array(encodeBody(body))) as Buffer[] | { bytes: Buffer };
        const bytes = Array.isArray(decoded) ? decoded[0]! : decoded.bytes;
        expect(Buffer.isBuffer(bytes), `${size} bytes in ${JSON.stringify(Object.keys(body))}`).to.equal(true);
        expect(bytes.length).to.equal(size);
        expect(bytes.every((b) => b === 7)).to.equal(true);
      }
    }
  });

  it('report a large undecodable body as a ProtocolError too', () => {
    const large = new Uint8Array(8 << 10).fill(0xff);
    expect(() => decodeBody(large)).to.throw(ProtocolError, /undecodable CBOR/);
  });

  it('never let a __proto__ key from a peer reach an object prototype', () => {
    // The plain CBOR map {"__proto__": {"polluted": true}}, byte by byte, as a hostile peer would send it.
    const hostile = Uint8Array.from(Buffer.from('a1695f5f70726f746f5f5fa168706f6c6c75746564f5', 'hex'));
    const decoded = decodeBody(hostile) as Record<string, unknown>;
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
    expect(Object.getPrototypeOf(decoded)).to.equal(Object.prototype);
    expect((decoded as { polluted?: unknown }).polluted).to.equal(undefined);
    // cbor-x renames the key rather than assigning the prototype: a safety feature we keep.
    expect(Object.keys(decoded)).to.deep.equal(['__proto_']);
  });
});

describe('typed errors', () => {
  it('round-trip every code through an Error body to its own class', () => {
    for (const code of ERROR_CODES) {
      const original = qiError(code, `about ${code}`, { detail: code });
      const rebuilt = errorFromBody(decodeBody(encodeBody(original.toBody())));
      expect(rebuilt).to.be.instanceOf(QiError);
      expect(rebuilt.constructor).to.equal(original.constructor);
      expect(rebuilt).to.deep.include({ code, message: `about ${code}`, data: { detail: code } });
      expect(rebuilt.name).to.match(/Error$/).and.not.match(/ErrorError$/);
    }
    expect(errorFromBody({ code: 'ServiceGone', message: 'gone' })).to.be.instanceOf(ServiceGoneError);
  });

  it('treat a malformed Error body as a ProtocolError', () => {
    for (const body of [undefined, 'oops', { code: 'NoSuchCode', message: 'x' }, { code: 'RemoteError' }]) {
      expect(errorFromBody(body)).to.be.instanceOf(ProtocolError);
    }
  });

  it('wrap what user code throws: QiError as is, anything else as RemoteError with its message', () => {
    const bad = new BadArgumentsError('no');
    expect(toQiError(bad)).to.equal(bad);
    expect(toQiError(new TypeError('boom'))).to.be.instanceOf(RemoteError).and.include({ message: 'boom' });
    expect(toQiError('plain string')).to.be.instanceOf(RemoteError).and.include({ message: 'plain string' });
  });
});

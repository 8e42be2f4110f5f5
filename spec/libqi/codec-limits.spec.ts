/**
 * Hostile libqi payloads: each is refused with a ProtocolError before it costs memory or time (a 16 MiB payload
 * must decode or fail within ~50 ms of work; the bounds below allow for a shared, slow machine).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/codec-limits.spec.ts
 */
import { expect } from 'chai';
import { ProtocolError } from '../../lib/protocol/errors.js';
import { BinaryWriter, decodeValue, encodeToBytes, libqiLimits, parseSignature } from '../../lib/protocol/libqi/index.js';

const MiB = 1024 * 1024;
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

function timed(what: string, action: () => void): number {
  const start = performance.now();
  action();
  const ms = performance.now() - start;
  console.log(`      ${what}: ${ms.toFixed(1)} ms`);
  return ms;
}

describe('libqi codec limits', function () {
  this.timeout(20_000);

  it('refuses a count that cannot fit in what is left, before allocating', () => {
    expect(() => decodeValue('[i]', Uint8Array.from([...u32(1e9), 0, 0, 0, 0]))).to.throw(ProtocolError, /cannot fit/);
    expect(() => decodeValue('{si}', Uint8Array.from(u32(0xffffffff)))).to.throw(ProtocolError, /cannot fit/);
  });

  it('refuses four billion zero-size elements by the item budget', () => {
    expect(() => decodeValue('[v]', Uint8Array.from(u32(0xffffffff)))).to.throw(ProtocolError, /work units refused/);
    expect(() => decodeValue('[()]', Uint8Array.from(u32(2_000_000)))).to.throw(ProtocolError, /work units refused/);
  });

  it('refuses 16 MiB of empty strings fast, and decodes large lists of numbers and 16 MiB of raw bytes', () => {
    const strings = new Uint8Array(16 * MiB);
    strings.set(u32(strings.length / 4 - 1));
    const ms = timed('16 MiB of [s] refused', () => expect(() => decodeValue('[s]', strings)).to.throw(ProtocolError, /work units refused/));
    expect(ms).to.be.below(500);
    const ints = new Uint8Array(4 + 4 * 900_000);
    ints.set(u32(900_000));
    let list: unknown;
    expect(timed('[i] of 900 k decoded', () => (list = decodeValue('[i]', ints)))).to.be.below(500);
    expect(list).to.have.length(900_000);
    const longs = new Uint8Array(4 + 8 * 300_000);
    longs.set(u32(300_000));
    expect(timed('[l] of 300 k decoded', () => (list = decodeValue('[l]', longs)))).to.be.below(500);
    expect(list).to.have.length(300_000);
    const raw = new Uint8Array(16 * MiB);
    raw.set(u32(raw.length - 4));
    expect(decodeValue('r', raw)).to.have.length(raw.length - 4);
  });

  it('refuses signatures nested too deeply or too long, and dynamics nested without end', () => {
    expect(() => parseSignature('['.repeat(40) + 'i' + ']'.repeat(40))).to.throw(ProtocolError, /nesting/);
    expect(() => parseSignature('(' + 'i'.repeat(libqiLimits.MAX_SIGNATURE_LENGTH) + ')')).to.throw(ProtocolError, /exceeds/);
    expect(() => parseSignature('(ii')).to.throw(ProtocolError, /unclosed/);
    expect(() => parseSignature('q')).to.throw(ProtocolError, /unknown type/);
    expect(() => parseSignature('(i)<P,x')).to.throw(ProtocolError, /unclosed/);
    // m → "m" → m → "m" …: every level is 5 bytes, so a small payload could nest a million deep.
    const writer = new BinaryWriter();
    for (let i = 0; i < 200; i++) writer.string('m');
    writer.string('i');
    writer.i32(1);
    expect(() => decodeValue('m', writer.finish())).to.throw(ProtocolError, /nesting deeper/);
  });

  it('bounds the cost of dynamics that each bring a new long signature', () => {
    // 16 MiB of [m], each element a distinct ~1000-character tuple signature of empty lists.
    const writer = new BinaryWriter(17 * MiB);
    const count = 16_000;
    writer.u32(count);
    for (let i = 0; i < count; i++) {
      const signature = `(${'[i]'.repeat(330)}${'i'.repeat(i % 7)})<S${i}>`;
      writer.string(signature);
      for (let k = 0; k < 330; k++) writer.u32(0);
      for (let k = 0; k < i % 7; k++) writer.i32(k);
    }
    const bytes = writer.finish();
    const ms = timed(`[m] of ${count} new signatures (${(bytes.length / MiB).toFixed(1)} MiB)`, () => {
      try {
        decodeValue('[m]', bytes);
      } catch (err) {
        expect(err).to.be.instanceOf(ProtocolError);
      }
    });
    expect(ms).to.be.below(600);
  });

  it('encodes a 1 M element list in bounded time', () => {
    const list = Array.from({ length: 1_000_000 }, (_, i) => i);
    let bytes: Uint8Array | undefined;
    timed('[i] of 1 M encoded', () => (bytes = encodeToBytes('[i]', list)));
    expect(bytes!.length).to.equal(4 + 4_000_000);
  });
});

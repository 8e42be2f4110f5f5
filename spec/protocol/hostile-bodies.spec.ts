/**
 * Bodies a hostile peer sends to make the decoder blow up: each is refused with a ProtocolError, quickly (the
 * timings in the titles are what cbor-x alone took on this machine). The body's decoder is the only one, so
 * these are the whole story: every frame's body goes through `decodeBody`/`decodeMessageBody`.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_BODY_DEPTH, MAX_BODY_ITEMS } from '../../lib/protocol/cbor-limits.js';
import { decodeBody, encodeBody } from '../../lib/protocol/codec.js';
import { ProtocolError } from '../../lib/protocol/errors.js';
import { capabilityWithDag, cbor, head, repeat, sharedDag, text } from './hostile-cbor.js';

/** A body must never block the event loop for longer than this. */
const BUDGET_MS = 50;

/**
 * Milliseconds `run` takes: a try over `budget` is timed again, twice, and the fastest counts. Decoding is
 * deterministic, so a slow decode is slow every time; one slow try alone is the machine's preemption, or a GC.
 */
function fastestOf(run: () => void, budget: number): number {
  let fastest = Infinity;
  for (let attempt = 0; attempt < 3 && fastest >= budget; attempt++) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

/** Decodes `body`, expects a ProtocolError whose message matches `refused`, within BUDGET_MS. */
function expectRefused(body: Uint8Array, refused: RegExp): void {
  let thrown: unknown;
  const ms = fastestOf(() => {
    try {
      decodeBody(body);
    } catch (err) {
      thrown = err;
    }
  }, BUDGET_MS);
  expect(thrown, 'a ProtocolError').to.be.instanceOf(ProtocolError);
  expect((thrown as Error).message).to.match(refused);
  expect(ms, 'milliseconds to refuse').to.be.below(BUDGET_MS);
}

/** Decodes `body`, which is acceptable, within `ms`. */
function decodeWithin(body: Uint8Array, ms: number): unknown {
  let value: unknown;
  expect(fastestOf(() => (value = decodeBody(body)), ms), 'milliseconds to decode').to.be.below(ms);
  return value;
}

describe('hostile CBOR bodies', () => {
  describe('extension tags are refused', () => {
    it('28/29 value sharing: a 40-level DAG (2^40 leaves in ~270 bytes; String() of it ran out of heap)', () => {
      expectRefused(capabilityWithDag(40), /tag 28 refused/);
    });

    it('a tag 29 reference alone, and a self-referencing (cyclic) tag 28', () => {
      expectRefused(cbor([0xd8, 29, 0]), /tag 29 refused/);
      expectRefused(cbor([0xd8, 28, 0x81, 0xd8, 29, 0]), /tag 28 refused/);
    });

    it('tag 2/3 bignums of 256 KiB (cbor-x: quadratic, 64 KiB took 0.5 s, 128 KiB 2 s)', () => {
      const bytes = new Uint8Array(256 * 1024).fill(0xff);
      expectRefused(cbor([0xc2], head(2, bytes.length), bytes), /tag 2 refused/);
      expectRefused(cbor([0xc3], head(2, bytes.length), bytes), /tag 3 refused/);
    });

    it('tags 4/5 (decimal and binary fractions) and 27 (generic object) over a 20-level DAG: cbor-x itself expanded it', () => {
      expectRefused(cbor([0xc4, 0x82, 0x01], sharedDag(20)), /tag 4 refused/);
      expectRefused(cbor([0xc5, 0x82, 0x01], sharedDag(20)), /tag 5 refused/);
      expectRefused(cbor([0xd8, 27, 0x82], text('Error'), sharedDag(20)), /tag 27 refused/);
    });

    it('tag 27 building a RegExp (a ReDoS pattern handed to the application)', () => {
      expectRefused(cbor([0xd8, 27, 0x83], text('RegExp'), text('(a+)+$'), text('')), /tag 27 refused/);
    });

    const everyOtherTag: Array<[string, number[]]> = [
      ['0 (date string)', [0xc0, ...text('2020-01-01')]],
      ['1 (epoch date)', [0xc1, 0x1a, 0x60, 0, 0, 0]],
      ['6 (packed reference)', [0xc6, 1]],
      ['14, 15 (bundled strings)', [0xce, 1]],
      ['21–23 (expected conversions)', [0xd5, 0x41, 1]],
      ['25 (string reference)', [0xd8, 25, 0]],
      ['51 (packed table)', [0xd8, 51, 0x84, 0x81, ...text('x'), 0x80, 0x80, 0xe0]],
      ['105 (legacy record)', [0xd8, 105, 0x83, 0x19, 0xe0, 0x00, 0x81, ...text('a'), 1]],
      ['225 (packed prefix)', [0xd8, 225, ...text('x')]],
      ['256 (string reference namespace)', [0xd9, 1, 0, 0x80]],
      ['258 (Set)', [0xd9, 1, 2, 0x81, 1]],
      ['259 (Map, with a non-string key)', [0xd9, 1, 3, 0xa1, 0x80, 1]],
      ['55799 (self-described CBOR)', [0xd9, 0xd9, 0xf7, 1]],
      ['0xdff9 (bundled strings)', [0xd9, 0xdf, 0xf9, 0x82, 0, 0]],
      ['0xdffe (record definitions)', [0xd9, 0xdf, 0xfe, 0x83, 0x19, 0xe0, 0x00, 0x81, ...text('a'), 0xd9, 0xe0, 0x00, 0x81, 1]],
      ['0xdfff (inline record)', [0xd9, 0xdf, 0xff, 0x83, 0x19, 0xe0, 0x00, 0x81, ...text('a'), 1]],
      ['0xe000 (a record)', [0xd9, 0xe0, 0x00, 0x81, 1]],
      ['0x53687264 (shared data)', [0xda, 0x53, 0x68, 0x72, 0x64, 0]],
      ['an 8-byte tag number', [0xdb, 0, 0, 0, 1, 0, 0, 0, 0, 0]],
      ['64 (Uint8Array) on something other than a byte string', [0xd8, 64, 0x82, 1, 2]],
      ['64 on an indefinite-length byte string', [0xd8, 64, 0x5f, 0x41, 1, 0xff]],
      ['70 (Uint32Array) at the end of the body', [0xd8, 70]],
    ];
    for (const [name, bytes] of everyOtherTag) {
      it(`tag ${name}`, () => expectRefused(Uint8Array.from(bytes), /tag \d+ refused|truncated/));
    }

    it('but typed arrays on a byte string pass (our encoder writes a Uint8Array so in Node)', () => {
      for (const value of [new Uint8Array([1, 2, 255]), new Float32Array([1.5, -2]), new Uint16Array([7, 65535])]) {
        expect(decodeBody(encodeBody(value))).to.deep.equal(value);
      }
    });
  });

  describe('nesting is bounded', () => {
    it(`refuses arrays, maps and indefinite-length arrays nested deeper than ${MAX_BODY_DEPTH} (a million levels overflowed the stack)`, () => {
      expectRefused(cbor(repeat(1_000_000, [0x81]), [0]), /nesting deeper than 64/);
      expectRefused(cbor(repeat(1_000_000, [0x9f]), [0], repeat(1_000_000, [0xff])), /nesting deeper than 64/);
      expectRefused(cbor(repeat(1_000_000, [0xa1, 0x61, 0x61]), [0]), /nesting deeper than 64/);
      expectRefused(cbor(repeat(MAX_BODY_DEPTH + 1, [0x81]), [0]), /nesting deeper than 64/);
    });

    it(`accepts exactly ${MAX_BODY_DEPTH} levels`, () => {
      let value: unknown = decodeBody(cbor(repeat(MAX_BODY_DEPTH, [0x81]), [0]));
      let depth = 0;
      while (Array.isArray(value)) [value, depth] = [value[0], depth + 1];
      expect(depth).to.equal(MAX_BODY_DEPTH);
    });
  });

  describe('item counts are bounded', () => {
    it(`refuses more than ${MAX_BODY_ITEMS} items: a million empty byte strings (cbor-x: 0.2 s)`, () => {
      expectRefused(cbor(head(4, 1_000_000), repeat(1_000_000, [0x40])), /more than 32768 items/);
    });

    it('refuses a map of 100,000 distinct keys (cbor-x: 90 ms; a million keys 0.85 s)', () => {
      const entries: number[] = [];
      for (let i = 0; i < 100_000; i++) entries.push(...text(`k${i}`), 0);
      expectRefused(cbor(head(5, 100_000), entries), /more than 32768 items/);
    });

    it('counts items across containers, and refuses a count no body could hold before reading it', () => {
      expectRefused(cbor(head(4, 2), head(4, MAX_BODY_ITEMS / 2), repeat(MAX_BODY_ITEMS / 2, [0]), head(4, MAX_BODY_ITEMS / 2), repeat(MAX_BODY_ITEMS / 2, [0])), /more than 32768 items/);
      expectRefused(cbor([0x9a, 0xff, 0xff, 0xff, 0xff, 0]), /more than 32768 items/);
    });

    it(`accepts ${MAX_BODY_ITEMS} items, and the slowest of them decode within the budget`, () => {
      expect(decodeBody(cbor(head(4, MAX_BODY_ITEMS - 1), repeat(MAX_BODY_ITEMS - 1, [0])))).to.have.length(MAX_BODY_ITEMS - 1);
      const slowest = [
        cbor(head(4, MAX_BODY_ITEMS - 1), repeat(MAX_BODY_ITEMS - 1, [0x78, 64, ...new Array<number>(64).fill(0xff)])),
        cbor(head(4, MAX_BODY_ITEMS - 1), repeat(MAX_BODY_ITEMS - 1, [0x40])),
      ];
      const maps: number[] = [];
      const mapCount = Math.floor((MAX_BODY_ITEMS - 1) / 3);
      for (let i = 0; i < mapCount; i++) maps.push(0xa1, ...text(`distinct-${i}`), 0);
      slowest.push(cbor(head(4, mapCount), maps));
      // Generous against a loaded machine: what matters is that nothing accepted is super-linear.
      for (const body of slowest) decodeWithin(body, 4 * BUDGET_MS);
    });
  });

  describe('map keys are text strings', () => {
    it('refuses integer, float, array and map keys (cbor-x turned them into property names, float keys at ~1 µs each)', () => {
      expectRefused(cbor([0xa1, 0x01, 0x02]), /map key that is not a text string/);
      expectRefused(cbor([0xa1, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x02]), /map key that is not a text string/);
      expectRefused(cbor([0xa1, 0x80, 0x02]), /map key that is not a text string/);
      expectRefused(cbor([0xbf, 0xa0, 0x02, 0xff]), /map key that is not a text string/);
    });

    it('accepts repeated keys (the last wins) in linear time', () => {
      expect(decodeWithin(cbor(head(5, 10_000), repeat(10_000, [0x61, 0x61, 0x01])), BUDGET_MS)).to.deep.equal({ a: 1 });
    });

    it('never lets a __proto__ key reach the prototype, and keeps constructor a plain property', () => {
      const value = decodeBody(cbor([0xa2], text('__proto__'), [0xa1], text('polluted'), [0xf5], text('constructor'), [0x01])) as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).to.equal(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(value.polluted).to.equal(undefined);
      expect(value.constructor).to.equal(1);
    });
  });

  describe('malformed bodies are refused before anything is allocated', () => {
    const malformed: Array<[string, number[], RegExp]> = [
      ['a byte string declared 4 GiB long', [0x5a, 0xff, 0xff, 0xff, 0xff, 0], /truncated/],
      ['a text string declared 2^40 bytes long', [0x7b, 0, 0, 1, 0, 0, 0, 0, 0, 0x61], /truncated/],
      ['an array declared longer than the body', [0x99, 0x01, 0x00, 0x00], /truncated/],
      ['a map declared longer than the body', [0xa3, 0x61, 0x61, 0x00], /truncated/],
      ['an indefinite-length text string of chunks', [0x7f, 0x61, 0x61, 0x61, 0x61, 0xff], /indefinite-length string refused/],
      ['an indefinite-length byte string of chunks', [0x5f, 0x41, 0x01, 0xff], /indefinite-length string refused/],
      ['a break outside any indefinite-length item', [0x82, 0x01, 0xff], /break outside/],
      ['an indefinite-length map ending after a key', [0xbf, 0x61, 0x61, 0xff], /map key without a value/],
      ['an unterminated indefinite-length array', [0x9f, 0x01, 0x02], /truncated/],
      ['reserved additional information 28–30', [0x1c], /reserved/],
      ['an indefinite-length integer', [0x1f], /indefinite-length integer/],
      ['a simple value (0–19)', [0xe0], /simple value refused/],
      ['a one-byte simple value', [0xf8, 99], /simple value refused/],
      ['bytes after the body', [0x01, 0x02], /bytes after the body/],
      ['a truncated head', [0x19, 0x01], /truncated/],
    ];
    for (const [name, bytes, refused] of malformed) it(name, () => expectRefused(Uint8Array.from(bytes), refused));

    it('accepts floats of every width, false, true, null and undefined', () => {
      const body = cbor([0x87, 0xf9, 0x3e, 0x00, 0xfa, 0x3f, 0xc0, 0, 0, 0xfb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, 0xf4, 0xf5, 0xf6, 0xf7]);
      expect(decodeBody(body)).to.deep.equal([1.5, 1.5, 3.141592653589793, false, true, null, undefined]);
    });
  });

  describe('properties', () => {
    /** Any decode either returns or throws ProtocolError, within the budget. */
    function decodesOrRefuses(body: Uint8Array): void {
      const ms = fastestOf(() => {
        try {
          decodeBody(body);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }, BUDGET_MS);
      expect(ms, 'milliseconds').to.be.below(BUDGET_MS);
    }

    it('arbitrary bytes decode or are refused with ProtocolError, quickly', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => decodesOrRefuses(bytes)), { numRuns: 2_000 });
    });

    it('CBOR-ish bodies of tags, deep nesting, indefinite lengths and odd heads decode or are refused, quickly', () => {
      const argument = fc.oneof(fc.integer({ min: 0, max: 23 }), fc.constantFrom(24, 255, 256, 65_535, 2 ** 32 - 1, 28, 29, 64, 258, 259, 0xdfff));
      const anyHead = fc.tuple(fc.integer({ min: 0, max: 7 }), argument, fc.constantFrom(0, 0, 0, 28, 31)).map(([major, arg, info]) =>
        info === 0 ? head(major, arg) : [(major << 5) | info],
      );
      const item: fc.Arbitrary<number[]> = fc.letrec<{ item: number[] }>((tie) => ({
        item: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          anyHead,
          fc.tuple(fc.constantFrom(0xd8), fc.constantFrom(2, 4, 27, 28, 29, 64, 105, 258, 259), tie('item')).map(([t, n, inner]) => [t, n, ...inner]),
          fc.array(tie('item'), { maxLength: 6 }).map((items) => [...head(4, items.length), ...items.flat()]),
          fc.array(tie('item'), { maxLength: 6 }).map((items) => [0x9f, ...items.flat(), 0xff]),
          fc.array(fc.tuple(fc.string({ maxLength: 4 }), tie('item')), { maxLength: 4 }).map((entries) => [
            ...head(5, entries.length),
            ...entries.flatMap(([key, value]) => [...text(key), ...value]),
          ]),
          fc.tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom(0x81, 0x9f, 0xa1)).map(([levels, opener]) => [...new Array<number>(levels).fill(opener), 0]),
        ),
      })).item;
      fc.assert(fc.property(item, fc.option(fc.integer({ min: 0, max: 64 })), (bytes, cut) => decodesOrRefuses(Uint8Array.from(cut === null ? bytes : bytes.slice(0, cut)))), { numRuns: 2_000 });
    });
  });
});

describe('what we encode is what we accept', () => {
  it('refuses to encode values cbor-x writes with a refused tag: Date, Map, Set, RegExp, Error, bigints beyond 64 bits', () => {
    for (const value of [new Date(0), new Map([['a', 1]]), new Set([1]), /a/, new Error('x'), 2n ** 64n, -(2n ** 64n) - 1n, [{ when: new Date(0) }]]) {
      expect(() => encodeBody(value), String(value)).to.throw(/cannot be sent as a CBOR body: tag \d+ refused/);
    }
  });

  it('writes bigints within 64 bits as plain CBOR integers, read back as bigints', () => {
    for (const value of [0n, 5n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 64n) + 1n]) expect(decodeBody(encodeBody(value))).to.equal(value);
  });

  it(`refuses to encode more than ${MAX_BODY_ITEMS} items or nesting deeper than ${MAX_BODY_DEPTH}`, () => {
    expect(() => encodeBody(new Array<number>(MAX_BODY_ITEMS).fill(0))).to.throw(/more than 32768 items/);
    let deep: unknown = 0;
    for (let i = 0; i <= MAX_BODY_DEPTH; i++) deep = [deep];
    expect(() => encodeBody(deep)).to.throw(/nesting deeper than 64/);
  });
});

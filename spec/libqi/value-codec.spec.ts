/**
 * The libqi value codec by properties: for generated signatures (every serializable type, annotations, nesting)
 * and generated values of them, decode ∘ encode is the identity, and so is encode ∘ decode on the bytes. Plus the
 * documented mapping and dynamic inference, case by case.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/value-codec.spec.ts
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { BadArgumentsError, ProtocolError } from '../../lib/protocol/errors.js';
import { decodeValue, encodeToBytes, inferSignature, parseSignature, typed, TypedValue } from '../../lib/protocol/libqi/index.js';

interface GeneratedType {
  text: string;
  value: fc.Arbitrary<unknown>;
  /** The value can be null/undefined, so `+T` of it would be ambiguous. */
  nullable: boolean;
}

const INT64 = { min: -(1n << 63n), max: (1n << 63n) - 1n };
const utf8 = new TextDecoder('utf-8', { fatal: true });
const isInvalidUtf8 = (bytes: Uint8Array): boolean => {
  try {
    utf8.decode(bytes);
    return false;
  } catch {
    return true;
  }
};

const scalar = (text: string, value: fc.Arbitrary<unknown>, nullable = false): GeneratedType => ({ text, value, nullable });
const SCALARS: GeneratedType[] = [
  scalar('b', fc.boolean()),
  scalar('c', fc.integer({ min: -128, max: 127 })),
  scalar('C', fc.integer({ min: 0, max: 255 })),
  scalar('w', fc.integer({ min: -0x8000, max: 0x7fff })),
  scalar('W', fc.integer({ min: 0, max: 0xffff })),
  scalar('i', fc.integer()),
  scalar('I', fc.integer({ min: 0, max: 0xffffffff })),
  scalar('l', fc.bigInt(INT64)),
  scalar('L', fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  scalar('f', fc.float()),
  scalar('d', fc.double()),
  // Valid UTF-8 decodes to a string, anything else stays bytes: both come back as they went.
  scalar('s', fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.uint8Array({ maxLength: 8 }).filter(isInvalidUtf8))),
  scalar('r', fc.uint8Array({ maxLength: 16 })),
];
const VOID = scalar('v', fc.constant(undefined), true);

const names = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,6}$/);

const { type } = fc.letrec<{ type: GeneratedType; key: GeneratedType }>((tie) => ({
  key: fc.constantFrom(...SCALARS.filter((s) => s.text !== 'r' && s.text !== 'b')),
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...SCALARS),
    fc.constant(VOID),
    tie('type').map((t): GeneratedType => ({ text: `[${t.text}]`, value: fc.array(t.value, { maxLength: 4 }), nullable: false })),
    tie('type').map((t): GeneratedType => ({ text: `#${t.text}`, value: fc.array(t.value, { maxLength: 4 }), nullable: false })),
    fc.tuple(tie('key'), tie('type')).map(([k, v]): GeneratedType => ({
      text: `{${k.text}${v.text}}`,
      value: fc.array(fc.tuple(k.value, v.value), { maxLength: 4 }).map((entries) => new Map(entries)),
      nullable: false,
    })),
    tie('type').map((t): GeneratedType => ({
      text: `~${t.text}`,
      value: fc.array(fc.tuple(fc.string({ maxLength: 6 }), t.value), { maxLength: 4 }).map((entries) => new Map(entries)),
      nullable: false,
    })),
    tie('type')
      .filter((t) => !t.nullable)
      .map((t): GeneratedType => ({ text: `+${t.text}`, value: fc.option(t.value, { nil: null }), nullable: true })),
    fc.array(tie('type'), { maxLength: 4 }).map((fields): GeneratedType => ({
      text: `(${fields.map((f) => f.text).join('')})`,
      value: fc.tuple(...fields.map((f) => f.value)),
      nullable: false,
    })),
    // A struct: its annotation names the fields, and it is an object of them.
    fc.uniqueArray(fc.tuple(names, tie('type')), { minLength: 1, maxLength: 4, selector: ([name]) => name }).chain(([first, ...rest]) =>
      names.map((structName): GeneratedType => {
        const fields = [first!, ...rest];
        return {
          text: `(${fields.map(([, f]) => f.text).join('')})<${structName},${fields.map(([n]) => n).join(',')}>`,
          value: fc.record(Object.fromEntries(fields.map(([n, f]) => [n, f.value])), { noNullPrototype: true }),
          nullable: false,
        };
      }),
    ),
    // A dynamic: it keeps its signature (typedDynamics), so every nested type round-trips exactly.
    tie('type').map((t): GeneratedType => ({ text: 'm', value: t.value.map((v) => new TypedValue(t.text, v)), nullable: false })),
  ),
}));

const typeAndValue = type.chain((t) => t.value.map((value) => ({ signature: t.text, value })));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('libqi value codec', () => {
  it('decode(encode(v)) = v and encode(decode(bytes)) = bytes for generated signatures and values', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(typeAndValue, ({ signature, value }) => {
        for (const ch of signature) seen.add(ch);
        expect(parseSignature(signature).text).to.equal(signature);
        const bytes = encodeToBytes(signature, value);
        const decoded = decodeValue(signature, bytes, { typedDynamics: true });
        expect(decoded).to.deep.equal(value);
        expect(hex(encodeToBytes(signature, decoded))).to.equal(hex(bytes));
      }),
      { numRuns: 500 },
    );
    // The generator reaches every kind of type (the property is not vacuous).
    expect([...'[{(<+m#~vbcCwWiIlLfdsr'].filter((ch) => !seen.has(ch))).to.deep.equal([]);
  });

  it('never fails on truncated or corrupted bytes with anything but a ProtocolError', () => {
    fc.assert(
      fc.property(typeAndValue, fc.nat(), fc.nat(255), ({ signature, value }, at, byte) => {
        const bytes = encodeToBytes(signature, value).slice();
        const cut = bytes.subarray(0, bytes.length === 0 ? 0 : at % bytes.length);
        if (bytes.length > 0) bytes[at % bytes.length] = byte;
        for (const input of [cut, bytes]) {
          try {
            decodeValue(signature, input, { typedDynamics: true });
          } catch (err) {
            expect(err).to.be.instanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps floats bit for bit: the smallest denormal, -inf, -0, -1e-30f', () => {
    expect(hex(encodeToBytes('d', 5e-324))).to.equal('0100000000000000');
    expect(Object.is(decodeValue('d', encodeToBytes('d', -0)), -0)).to.equal(true);
    expect(decodeValue('d', encodeToBytes('d', -Infinity))).to.equal(-Infinity);
    expect(decodeValue('f', encodeToBytes('f', -1e-30))).to.equal(Math.fround(-1e-30));
  });

  it('takes 64-bit integers as bigint (or safe integers) at their limits, and refuses them out of range', () => {
    expect(decodeValue('l', encodeToBytes('l', INT64.min))).to.equal(INT64.min);
    expect(decodeValue('L', encodeToBytes('L', (1n << 64n) - 1n))).to.equal((1n << 64n) - 1n);
    expect(decodeValue('l', encodeToBytes('l', 42))).to.equal(42n);
    expect(() => encodeToBytes('L', -1n)).to.throw(BadArgumentsError);
    expect(() => encodeToBytes('l', 2 ** 60)).to.throw(BadArgumentsError, /safe integer/);
    expect(() => encodeToBytes('i', 2 ** 31)).to.throw(BadArgumentsError, /int32/);
    expect(() => encodeToBytes('C', 1.5)).to.throw(BadArgumentsError);
  });

  it('writes optionals as 00, or 01 + value (null and undefined are absent)', () => {
    expect(hex(encodeToBytes('+i', null))).to.equal('00');
    expect(hex(encodeToBytes('+i', undefined))).to.equal('00');
    expect(hex(encodeToBytes('+i', 7))).to.equal('0107000000');
    expect(decodeValue('+i', Uint8Array.of(0))).to.equal(null);
  });

  it('takes structs as objects of their fields or as arrays, and maps as Maps or plain objects', () => {
    const point = '(iis)<Point,x,y,name>';
    const bytes = encodeToBytes(point, { x: -3, y: 4, name: 'p' });
    expect(decodeValue(point, bytes)).to.deep.equal({ x: -3, y: 4, name: 'p' });
    expect(hex(encodeToBytes(point, [-3, 4, 'p']))).to.equal(hex(bytes));
    expect(() => encodeToBytes(point, { x: 1, y: 2 })).to.throw(BadArgumentsError, /name/);
    expect(decodeValue('{is}', encodeToBytes('{is}', { 1: 'a', 2: 'b' }))).to.deep.equal(new Map([[1, 'a'], [2, 'b']]));
    // A field named __proto__ would reach the object's prototype: such a struct stays an array.
    expect(decodeValue('(i)<S,__proto__>', encodeToBytes('(i)', [1]))).to.deep.equal([1]);
  });

  it('infers a dynamic value`s signature as documented', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'v'], [null, 'v'], [true, 'b'], [42, 'i'], [2 ** 31, 'd'], [0.5, 'd'], [-0, 'd'], [5n, 'l'], [1n << 63n, 'L'],
      ['hi', 's'], [Uint8Array.of(1), 'r'], [[1, 2], '[i]'], [['a', 'b'], '[s]'], [[], '[m]'], [[1, 'a'], '[m]'],
      [new Map([['a', 1]]), '{si}'], [{ a: 1, b: 'x' }, '{sm}'], [[[1], [2]], '[[i]]'], [typed('(iis)<Point,x,y,name>', [1, 2, 'p']), '(iis)<Point,x,y,name>'],
    ];
    for (const [value, signature] of cases) expect(inferSignature(value), String(signature)).to.equal(signature);
    expect(decodeValue('m', encodeToBytes('m', { a: 1, b: 'x' }))).to.deep.equal(new Map<string, unknown>([['a', 1], ['b', 'x']]));
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(() => inferSignature(cycle)).to.throw(BadArgumentsError, /deeper/);
  });

  it('decodes a dynamic to its bare value unless typedDynamics', () => {
    const bytes = encodeToBytes('m', typed('I', 3));
    expect(hex(bytes)).to.equal('01000000' + '49' + '03000000');
    expect(decodeValue('m', bytes)).to.equal(3);
    expect(decodeValue('m', bytes, { typedDynamics: true })).to.deep.equal(typed('I', 3));
    expect(decodeValue('m', Uint8Array.of(0, 0, 0, 0))).to.equal(undefined);
  });
});

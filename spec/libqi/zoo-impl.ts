/**
 * A qimessaging implementation of the kit's "Zoo" (qi_zoo_service): the same members in the same order, so the
 * same ids (100–138 methods, `sum` three overloads; 139–143 signals; 144–146 properties) and signatures.
 */
import { TypedValue } from '../../lib/protocol/libqi/index.js';
import { withSignature } from '../../lib/libqi/index.js';
import { property, signal } from '../../lib/service/members.js';
import { withContext } from '../../lib/service/meta-object.js';

const P = '(iis)<Point,x,y,name>';

interface Point {
  x: number;
  y: number;
  name: string | Uint8Array;
}

const echo = <T>(signature: string) => withSignature(`(${signature})->${signature}`, (value: T) => value);
const text = (value: string | Uint8Array): string => (typeof value === 'string' ? value : Buffer.from(value).toString('latin1'));

export function zooImplementation() {
  let pings = 0;
  let cancelled = 0;
  let posts = 0;
  const zoo = {
    echoBool: echo<boolean>('b'),
    echoInt8: echo<number>('c'),
    echoUInt8: echo<number>('C'),
    echoInt16: echo<number>('w'),
    echoUInt16: echo<number>('W'),
    echoInt32: echo<number>('i'),
    echoUInt32: echo<number>('I'),
    echoInt64: echo<bigint>('l'),
    echoUInt64: echo<bigint>('L'),
    echoFloat: echo<number>('f'),
    echoDouble: echo<number>('d'),
    echoString: echo<string | Uint8Array>('s'),
    echoRaw: echo<Uint8Array>('r'),
    echoIntList: echo<number[]>('[i]'),
    echoStringList: echo<string[]>('[s]'),
    echoStringIntMap: echo<Map<string, number>>('{si}'),
    echoIntStringMap: echo<Map<number, string>>('{is}'),
    echoMatrix: echo<number[][]>('[[d]]'),
    // Dynamic values come back with the signature they came with (a Point stays a Point).
    echoDict: withSignature('({sm})->{sm}', (dict: Map<string, TypedValue>) => dict, { typedDynamics: true }),
    echoPoint: echo<Point>(P),
    echoPointList: echo<Point[]>(`[${P}]`),
    echoOptional: echo<number | null>('+i'),
    echoAny: withSignature('(m)->m', (value: TypedValue) => value, { typedDynamics: true }),
    typeOf: withSignature('(m)->s', (value: TypedValue) => value.signature, { typedDynamics: true }),
    reverseString: withSignature('(s)->s', (value: string | Uint8Array) => new Uint8Array(typeof value === 'string' ? Buffer.from(value) : value).reverse()),
    movePoint: withSignature(`(${P}ii)->${P}`, (p: Point, dx: number, dy: number): Point => ({ ...p, x: p.x + dx, y: p.y + dy })),
    sum: withSignature(['(ii)->i', '(dd)->d', '([i])->i'], (a: number | number[], b?: number) => (Array.isArray(a) ? a.reduce((s, v) => s + v, 0) : a + b!)),
    ping: withSignature('()->v', () => void pings++),
    pingCount: withSignature('()->i', () => pings),
    fail: withSignature('()->v', (): void => {
      throw new Error('zoo: expected failure');
    }),
    sleep: withSignature(
      '(i)->v',
      withContext(
        ({ signal: aborted }, ms: number) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, ms);
            aborted.addEventListener('abort', () => {
              clearTimeout(timer);
              cancelled++;
              reject(aborted.reason as Error);
            });
          }),
      ),
    ),
    cancelledCount: withSignature('()->i', () => cancelled),
    makeGreeter: withSignature('(s)->o', (prefix: string) => ({ greet: withSignature('(s)->s', (name: string) => prefix + name) })),
    emitAll: withSignature('()->v', () => {
      zoo.sigVoid.emit();
      zoo.sigInt.emit(42);
      zoo.sigTriple.emit('zoo', 7, 2.5);
      zoo.sigPoint.emit({ x: -3, y: 4, name: 'emitted' });
    }),
    propSummary: withSignature('()->s', () => {
      const p = zoo.propPoint.get();
      return `propInt=${zoo.propInt.get()} propString=${text(zoo.propString.get())} propPoint=Point{${p.x},${p.y},"${text(p.name)}"}`;
    }),
    echoPost: withSignature('(s)->v', (value: string) => {
      posts++;
      zoo.posted.emit(value);
    }),
    postCount: withSignature('()->i', () => posts),
    sigVoid: withSignature('()', signal()),
    sigInt: withSignature('(i)', signal<[number]>()),
    sigTriple: withSignature('(sid)', signal<[string, number, number]>()),
    sigPoint: withSignature(`(${P})`, signal<[Point]>()),
    posted: withSignature('(s)', signal<[string]>()),
    propInt: withSignature('i', property(0)),
    propString: withSignature('s', property<string | Uint8Array>('initial')),
    propPoint: withSignature(P, property<Point>({ x: 0, y: 0, name: '' })),
  };
  return zoo;
}

/**
 * Optional, default and rest parameters: the meta-object carries a minimum and a maximum (or `variadic`), and the
 * service accepts what the method's types accept. The maximum is counted from the source; TypeScript's `lang?`
 * is invisible once compiled, so it is declared with `withArity`.
 */
import { expect } from 'chai';
import { BadArgumentsError, connect, createService, withArity, withContext } from '../../lib/index.js';
import { arityOf, countParameters } from '../../lib/service/arity.js';

class Speaker {
  greet(name: string, punctuation = '!'): string {
    return `hello ${name}${punctuation}`;
  }
}

const tts = {
  say: withArity({ min: 1 }, (text: string, lang?: string) => `${text}/${lang ?? 'en'}`),
  add: (a: number, b = 1) => a + b,
  sum: (...xs: number[]) => xs.reduce((total, x) => total + x, 0),
  exact: (a: number, b: number) => a * b,
  wait: withContext(async ({ signal }, ms: number, label = 'waited') => (signal.aborted ? 'aborted' : `${label} ${ms}`)),
  greet: (name: string, punctuation = '!') => new Speaker().greet(name, punctuation),
};

// Compile-time checks of the declaration against the parameter types: never called.
export function typeChecks(): void {
  withArity({ min: 2 }, (a: number, b: number, c?: number) => [a, b, c]);
  withArity({ min: 0, max: null }, (...xs: string[]) => xs);
  // @ts-expect-error a minimum the types do not accept: `text` is required
  withArity({ min: 0 }, (text: string, lang?: string) => [text, lang]);
  withArity({ min: 1 }, withContext((_context, text: string, lang?: string) => [text, lang]));
  // @ts-expect-error the context of a withContext method is not counted
  withArity({ min: 2, max: 3 }, withContext((_context, text: string, lang?: string) => [text, lang]));
  // @ts-expect-error a maximum beyond the parameters
  withArity({ min: 1, max: 3 }, (text: string, lang?: string) => [text, lang]);
}

describe('method arity', () => {
  it('counts the parameters of every way of writing a function', () => {
    const cases: Array<[(...args: never[]) => unknown, number, boolean]> = [
      [() => 0, 0, false],
      [(a: number) => a, 1, false],
      [(a: number, b = 1) => a + b, 2, false],
      [(a: string, b = ',)', c = `${')'}`) => a + b + c, 3, false],
      [(a: { x: number; y: number } = { x: 1, y: 2 }, [b, c]: number[] = [1, 2]) => a.x + b! + c!, 2, false],
      [(first: number, ...rest: number[]) => first + rest.length, 2, true],
      [function named(this: unknown, a: number /* , b */, b: number) { return a + b; }, 2, false],
      [async (a: number) => a, 1, false],
      [new Speaker().greet, 2, false],
      [(a: number, b = (x: number, y: number) => x + y) => b(a, a), 2, false],
    ];
    for (const [fn, count, rest] of cases) expect(countParameters(fn), fn.toString()).to.deep.equal({ count, rest });
    expect(countParameters(Math.max)).to.equal(undefined);
    expect(arityOf(((a: number, b: number) => a + b).bind(null))).to.deep.equal({ min: 2, max: 2 }); // unreadable: fn.length
  });

  it('describes a minimum and a maximum in the meta-object, and accepts what the types accept', async () => {
    const service = await createService('tts', tts, { listen: ['memory://arity'] });
    const connection = await connect('memory://arity');
    try {
      const client = await connection.service<typeof tts>('tts');
      const meta = Object.fromEntries(client.metaObject.methods.map(({ name, ...rest }) => [name, rest]));
      expect(meta['say']).to.deep.include({ arity: 1, maxArity: 2 });
      expect(meta['add']).to.deep.include({ arity: 1, maxArity: 2 });
      expect(meta['sum']).to.deep.include({ arity: 0, variadic: true });
      expect(meta['exact']).to.deep.equal({ id: meta['exact']!.id, arity: 2 }); // what an older peer reads, unchanged
      expect(meta['wait']).to.deep.include({ arity: 1, maxArity: 2 });

      expect(await client.say('hi')).to.equal('hi/en');
      expect(await client.say('hi', 'fr')).to.equal('hi/fr');
      expect(await client.add(1)).to.equal(2);
      expect(await client.add(1, 5)).to.equal(6);
      expect(await client.sum()).to.equal(0);
      expect(await client.sum(1, 2, 3, 4)).to.equal(10);
      expect(await client.wait(5)).to.equal('waited 5');
      expect(await client.wait(5, 'slept')).to.equal('slept 5');
      expect(await client.greet('nao')).to.equal('hello nao!');

      const refused = (promise: Promise<unknown>) => promise.then(() => '', (err: unknown) => (err instanceof BadArgumentsError ? err.message : String(err)));
      const untyped = await connection.service('tts'); // the types refuse these counts; an untyped caller is refused at run time
      expect(await refused(untyped.call('say'))).to.contain('say takes 1 to 2 argument(s), got 0');
      expect(await refused(untyped.call('add', 1, 2, 3))).to.contain('add takes 1 to 2 argument(s), got 3');
      expect(await refused(untyped.call('exact', 1))).to.contain('exact takes 2 argument(s), got 1');
    } finally {
      await connection.close();
      await service.close();
    }
  });
});

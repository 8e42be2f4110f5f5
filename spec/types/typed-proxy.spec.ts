/**
 * Typed clients. The `@ts-expect-error` lines are the spec: `npm test` type-checks first, and an expected error
 * that does not occur fails the type check. The runtime test below checks the same proxy does what it types.
 */
import { expect } from 'chai';
import { connect, createService, property, signal, withContext, type ServiceProxy } from '../../lib/index.js';

const tts = {
  say: (text: string) => text.length,
  async shout(text: string, times: number): Promise<string> {
    return text.toUpperCase().repeat(times);
  },
  slow: withContext(async ({ signal: abort }, ms: number) => (abort.aborted ? -1 : ms)),
  spoke: signal<[word: string, at: number]>(),
  volume: property(50),
};
type Tts = typeof tts;

/** A user-written interface works as well as an inferred type. */
interface Calc {
  add(a: number, b: number): number;
}

// Compile-time checks only: this function is never called.
export async function typeChecks(client: ServiceProxy<Tts>, calc: ServiceProxy<Calc>, untyped: ServiceProxy): Promise<void> {
  const length: number = await client.say('hi');
  const shouted: string = await client.shout('hi', 2);
  const viaCall: number = await client.call('say', 'hi');
  const slow: number = await client.slow(10);
  const sum: number = await calc.add(1, 2);
  await client.on('spoke', (word: string, at: number) => void [word, at]);
  const volume: number = await client.property('volume').get();
  await client.property('volume').set(60);
  client.post('say', 'posted');
  await client.with({ timeout: 10 }).shout('x', 1);
  void [length, shouted, viaCall, slow, sum, volume];

  // @ts-expect-error a misspelt method
  await client.sya('hi');
  // @ts-expect-error a misspelt method through call()
  await client.call('sya', 'hi');
  // @ts-expect-error a wrong argument type
  await client.say(42);
  // @ts-expect-error a missing argument
  await client.shout('hi');
  // @ts-expect-error the context of a withContext method is not the caller's to pass
  await client.slow({ signal: new AbortController().signal }, 10);
  // @ts-expect-error the result type is checked
  const notString: string = await client.say('hi');
  // @ts-expect-error a misspelt signal
  await client.on('spoken', () => {});
  // @ts-expect-error a listener of the wrong shape
  await client.on('spoke', (word: number) => void word);
  // @ts-expect-error a method is not a signal
  await client.on('say', () => {});
  // @ts-expect-error a misspelt property
  client.property('volum');
  // @ts-expect-error a property's value type is checked
  await client.property('volume').set('loud');
  // @ts-expect-error interface-typed clients are checked too
  await calc.add('1', 2);
  void notString;

  // Untyped clients accept any name and return unknown.
  const anything: unknown = await untyped.call('whatever', 1, 2, 3);
  void anything;
}

describe('typed clients', () => {
  it('call the service through the methods they type', async () => {
    const service = await createService('tts', tts, { listen: ['memory://typed-tts'] });
    const connection = await connect('memory://typed-tts');
    try {
      const client = await connection.service<Tts>('tts');
      expect(await client.say('hello')).to.equal(5);
      expect(await client.shout('ab', 2)).to.equal('ABAB');
      expect(await client.slow(7)).to.equal(7);
      expect(await client.property('volume').get()).to.equal(50);
      expect(Object.keys(client)).to.include.members(['say', 'shout', 'slow']);
    } finally {
      await connection.close();
      await service.close();
    }
  });
});

/**
 * The service object model in one process: a `tts` service with a method, a signal, properties (one validated,
 * one read-only) and a cancellable slow method; a typed client that calls, posts, subscribes, watches, cancels
 * and times out. Run: `npx tsx examples/object-model.ts`.
 */
import {
  CanceledError,
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  property,
  signal,
  TimeoutError,
  withContext,
} from '../lib/index.js';

const tts = {
  spoke: signal<[word: string]>(),
  volume: property(50, { validate: (v) => typeof v === 'number' && v >= 0 && v <= 100 }),
  language: property('en', { readOnly: true }),
  say(text: string): number {
    for (const word of text.split(' ')) tts.spoke.emit(word);
    return text.length;
  },
  log(line: string): void {
    console.log(`  [service] log: ${line}`);
  },
  recite: withContext(async ({ signal: abort }, ms: number) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      abort.addEventListener('abort', () => {
        clearTimeout(timer);
        console.log('  [service] recite was canceled: stopping');
        reject(abort.reason);
      });
    });
    return 'recited';
  }),
};

const directory = await createServiceDirectory({ listen: ['memory://object-model-sd'] });
const gateway = await createGateway({ directory: directory.url, listen: ['memory://object-model-gw'] });
const service = await createService('tts', tts, { directory: directory.url });

const conn = await connect('memory://object-model-gw');
const client = await conn.service<typeof tts>('tts'); // typed from the implementation

// Signals: subscribe, then a call that emits.
const words: string[] = [];
await client.on('spoke', (word) => void words.push(word));
console.log('say ->', await client.say('hello little robot'));
// The events were sent before the reply on the same channel, so they have arrived.
console.log('spoke ->', words.join(', '));

// Properties: get, watch, set; a refused value and a read-only property are typed errors.
const volume = client.property('volume');
await volume.on((value) => console.log('  volume changed to', value));
await volume.set(70);
console.log('volume ->', await volume.get());
await volume.set(500).catch((err: Error) => console.log('set 500 ->', err.name, err.message));
// A read-only property has no `set` in the types (hence the directive); an untyped client is refused at run time.
// @ts-expect-error
await client.property('language').set('fr').catch((err: Error) => console.log('set language ->', err.name, err.message));

// Posts: one-way, no answer.
client.post('log', 'posted, not awaited');

// Cancellation and timeouts: the service's handler sees its AbortSignal fire either way.
const controller = new AbortController();
const reciting = client.with({ signal: controller.signal }).recite(10_000);
setTimeout(() => controller.abort(), 20);
await reciting.catch((err: unknown) => console.log('recite ->', err instanceof CanceledError ? 'Canceled' : err));
await client.with({ timeout: 30 }).recite(10_000).catch((err: unknown) => console.log('recite with timeout ->', err instanceof TimeoutError ? 'Timeout' : err));

// The directory, from the client side.
console.log('services ->', (await conn.services()).map((s) => s.name).join(', '));

await conn.close();
await service.close();
await gateway.close();
await directory.close();

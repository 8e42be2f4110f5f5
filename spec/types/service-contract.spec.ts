/**
 * A service contract, written once as an interface and shared by both processes: `createService<Motion>` checks
 * the implementation against it (methods plain or `withContext`, signals, properties with their access) and
 * `conn.service<Motion>` types the client from it. The `@ts-expect-error` lines are checked by `npm test`'s tsc.
 */
import { expect } from 'chai';
import {
  BadArgumentsError,
  connect,
  createService,
  property,
  signal,
  withContext,
  type Property,
  type ReadOnlyProperty,
  type ServiceProxy,
  type Signal,
} from '../../lib/index.js';

/** The contract, as a shared module would export it: the caller's view of every member. */
interface Motion {
  moveTo(x: number, y: number): Promise<string>;
  stop(): void;
  progress: Signal<[percent: number]>;
  speed: Property<number>;
  battery: ReadOnlyProperty<number>;
}

const motion = {
  moveTo: withContext(async ({ signal: abort }, x: number, y: number) => {
    motion.progress.emit(50);
    return abort.aborted ? 'stopped' : `at ${x},${y}`;
  }),
  stop: () => undefined,
  progress: signal<[percent: number]>(),
  speed: property(1),
  battery: property(80, { readOnly: true }),
};

// Compile-time checks only: never called.
export async function typeChecks(client: ServiceProxy<Motion>): Promise<void> {
  await createService<Motion>('motion', motion);
  // A class implements it too.
  class Robot {
    progress = signal<[percent: number]>();
    speed = property(2);
    battery = property(90, { readOnly: true });
    moveTo(x: number, y: number): string {
      return `${x},${y}`;
    }
    stop(): void {}
  }
  await createService<Motion>('motion', new Robot());

  // @ts-expect-error a method with the wrong parameter types
  await createService<Motion>('motion', { ...motion, moveTo: (x: string, y: number) => `${x}${y}` });
  // @ts-expect-error a method with the wrong result type
  await createService<Motion>('motion', { ...motion, moveTo: async (x: number, y: number) => x + y });
  // @ts-expect-error a withContext method with the wrong parameter types
  await createService<Motion>('motion', { ...motion, moveTo: withContext((_context, x: string) => x) });
  // @ts-expect-error a missing member
  await createService<Motion>('motion', { moveTo: motion.moveTo, stop: motion.stop, progress: motion.progress, speed: motion.speed });
  // @ts-expect-error a signal with other argument types
  await createService<Motion>('motion', { ...motion, progress: signal<[percent: string]>() });
  // @ts-expect-error the contract's read-only battery declared writable
  await createService<Motion>('motion', { ...motion, battery: property(80) });
  // @ts-expect-error the contract's writable speed declared read-only
  await createService<Motion>('motion', { ...motion, speed: property(1, { readOnly: true }) });
  // Without a contract, any object is served.
  await createService('anything', { whatever: (a: unknown) => a });

  const at: string = await client.moveTo(1, 2);
  await client.on('progress', (percent: number) => void percent);
  const speed: number = await client.property('speed').get();
  await client.property('speed').set(3);
  const battery: number = await client.property('battery').get();
  await client.property('battery').on((level: number) => void level);
  void [at, speed, battery];
  // @ts-expect-error a read-only property has no set
  await client.property('battery').set(100);
  // @ts-expect-error the context of a withContext method is not the caller's to pass
  await client.moveTo({ signal: new AbortController().signal, identity: undefined }, 1, 2);
  // @ts-expect-error a property's type is checked
  await client.property('speed').set('fast');
}

describe('a service contract', () => {
  it('serves an implementation checked against it, to a client typed from it', async () => {
    const service = await createService<Motion>('motion', motion, { listen: ['memory://contract-motion'] });
    const connection = await connect('memory://contract-motion');
    try {
      const client = await connection.service<Motion>('motion');
      const seen: number[] = [];
      await client.on('progress', (percent) => seen.push(percent));
      expect(await client.moveTo(1, 2)).to.equal('at 1,2');
      expect(await client.property('battery').get()).to.equal(80);
      expect(client.metaObject.properties.find((p) => p.name === 'battery')?.readOnly).to.equal(true);
      // Whoever sets it anyway (an untyped client) is refused at run time.
      const untyped = await connection.service('motion');
      const refused = await untyped.property('battery').set(100).then(() => undefined, (err: unknown) => err);
      expect(refused).to.be.instanceOf(BadArgumentsError);
      motion.battery.set(79); // the service itself may
      expect(await client.property('battery').get()).to.equal(79);
      expect(seen).to.deep.equal([50]);
    } finally {
      await connection.close();
      await service.close();
    }
  });
});

/**
 * Remote methods named like the client's own API (NAOqi's ALLeds has `on`/`off`, a gripper `close`) are reachable,
 * by design: every remote method is on `client.methods`; the shortcuts on the client itself are only the names the
 * client does not use, in the types as at run time. The `@ts-expect-error` lines are checked by `npm test`'s tsc.
 */
import { expect } from 'chai';
import { connect, createService, ServiceClient, type ServiceProxy } from '../../lib/index.js';

interface Leds {
  on(group: string): string;
  off(group: string): string;
  close(): string;
  call(what: string): string;
  with(other: string): string;
  name(): string;
  methods(): string;
  metaObject(): string;
  signal(): string;
  property(): string;
  actor(): string;
  closed(): string;
  toString(): string;
  hasOwnProperty(): string;
  channel(): string;
  fadeTo(group: string, level: number): number;
}

const leds = {
  on: (group: string) => `on ${group}`,
  off: (group: string) => `off ${group}`,
  close: () => 'gripper closed',
  call: (what: string) => `called ${what}`,
  with: (other: string) => `with ${other}`,
  name: () => 'remote name',
  methods: () => 'remote methods',
  metaObject: () => 'remote metaObject',
  signal: () => 'remote signal',
  property: () => 'remote property',
  actor: () => 'remote actor',
  closed: () => 'remote closed',
  toString: () => 'remote toString',
  hasOwnProperty: () => 'remote hasOwnProperty',
  channel: () => 'remote channel',
  fadeTo: (group: string, level: number) => (group.length > 0 ? level : -1),
} satisfies Leds;

// Compile-time checks only: never called.
export async function typeChecks(client: ServiceProxy<Leds>, untyped: ServiceProxy): Promise<void> {
  const on: string = await client.methods.on('FaceLeds');
  const closed: string = await client.methods.close();
  const level: number = await client.fadeTo('FaceLeds', 1);
  const viaMethods: number = await client.methods.fadeTo('FaceLeds', 1);
  const optioned: string = await client.with({ timeout: 10 }).methods.off('FaceLeds');
  const remoteChannel: string = await client.channel(); // the client keeps its state out of the way
  void [on, closed, level, viaMethods, optioned, remoteChannel];
  // @ts-expect-error `on` on the client is the client's (subscribe to a signal): Leds has no signal 'FaceLeds'
  await client.on('FaceLeds');
  // @ts-expect-error `close` on the client is the client's: it resolves with nothing
  const notRemote: string = await client.close();
  // @ts-expect-error a misspelt remote method
  await client.methods.of('FaceLeds');
  // @ts-expect-error argument types are checked on `methods` too
  await client.methods.on(1);
  void notRemote;
  // Untyped: any name, which may be missing.
  const maybe = untyped.methods['anything'];
  if (maybe) void (await maybe(1, 2));
}

describe('remote methods named like the client API', () => {
  it('are all reachable on client.methods, and the client keeps its own API', async () => {
    const service = await createService('leds', leds, { listen: ['memory://name-clashes'] });
    const connection = await connect('memory://name-clashes');
    try {
      const client = await connection.service<Leds>('leds');
      for (const name of Object.keys(leds) as Array<keyof Leds>) {
        const implementation = leds[name] as (...args: unknown[]) => unknown;
        const args = ['x', 1].slice(0, implementation.length);
        const remote = client.methods[name] as (...args: unknown[]) => Promise<unknown>;
        expect(await remote(...args), name).to.equal(implementation(...args));
      }
      expect(await client.methods.on('FaceLeds')).to.equal('on FaceLeds');
      expect(await client.methods.close()).to.equal('gripper closed');
      expect(await client.with({ timeout: 1_000 }).methods.off('FaceLeds')).to.equal('off FaceLeds');
      // The client's own API is untouched by the clashing names, and free names are shortcuts.
      expect(client.on).to.equal(ServiceClient.prototype.on);
      expect(client.close).to.equal(ServiceClient.prototype.close);
      expect(client.name).to.equal('leds');
      expect(await client.fadeTo('FaceLeds', 0.5)).to.equal(0.5);
      expect(await client.channel()).to.equal('remote channel');
      expect(Object.keys(client.methods).sort()).to.deep.equal(Object.keys(leds).sort());
      expect(String(client)).to.equal('[object Object]');
      // Still bound after the remote `close`.
      expect(await client.call('fadeTo', 'x', 2)).to.equal(2);
    } finally {
      await connection.close();
      await service.close();
    }
  });
});

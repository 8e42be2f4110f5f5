/**
 * Authorization at the gateway: the `authorize` hook on every bind (told who calls and what for), each client
 * link's and each remote host's share of bindings, and the client's identity passed on to a service that trusts
 * the gateway (the `gateway` role), never borrowed from the gateway by an anonymous client.
 */
import { expect } from 'chai';
import {
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  GATEWAY_MONITOR_NAME,
  LimitExceededError,
  tokenAuthenticator,
  UnauthorizedError,
  withContext,
  type BindRequestInfo,
  type CallContext,
  type Gateway,
  type GatewayOptions,
} from '../../lib/index.js';
import { callerOf, readIdentity } from '../../lib/auth/roles.js';
import { eventually, rejection, withFakeTransport } from '../helpers.js';

const whoami = { whoami: withContext((context: CallContext) => context.identity?.user ?? 'nobody') };
const robot = { user: 'robot', token: 'inside' };

describe('authorization at the gateway', () => {
  const harness = withFakeTransport();

  /** A directory and services `who` and `other` in memory, and a gateway clients reach over the fake transport. */
  async function robotSide(gateway: Partial<GatewayOptions>, gatewayRoles: string[] = ['service', 'gateway']): Promise<Gateway> {
    const { transports, opened } = harness;
    const inside = tokenAuthenticator({ robot: { token: 'inside', roles: gatewayRoles } });
    const directory = await createServiceDirectory({ transports, listen: ['memory://authz-sd'], authenticate: inside });
    opened.push(directory);
    for (const name of ['who', 'other']) {
      opened.push(await createService(name, whoami, { transports, listen: [`memory://authz-${name}`], directory: directory.url, authenticate: inside, credentials: robot }));
    }
    const started = await createGateway({ transports, directory: directory.url, listen: ['fake://gw'], credentials: robot, ...gateway });
    opened.push(started);
    return started;
  }

  const clientTokens = tokenAuthenticator({ app: { token: 'outside', roles: ['app'] }, kiosk: { token: 'public' } });

  it('asks authorize on every bind with the caller, the service and the remote; false is Unauthorized', async () => {
    const asked: BindRequestInfo[] = [];
    await robotSide({ authenticate: clientTokens, authorize: (request) => (asked.push(request), request.service !== 'other' || request.caller?.user === 'app') });
    const kiosk = await connect('fake://gw', { transports: harness.transports, credentials: { user: 'kiosk', token: 'public' } });
    harness.opened.push(kiosk);
    expect(await (await kiosk.service<typeof whoami>('who')).whoami()).to.equal('kiosk');
    const refused = await rejection(kiosk.service('other'), UnauthorizedError);
    expect(refused.message).to.match(/other/);
    const app = await connect('fake://gw', { transports: harness.transports, credentials: { user: 'app', token: 'outside' } });
    harness.opened.push(app);
    expect(await (await app.service<typeof whoami>('other')).whoami()).to.equal('app');
    expect(asked.map((r) => [r.caller?.user, r.service])).to.deep.equal([['kiosk', 'who'], ['kiosk', 'other'], ['app', 'other']]);
    expect(asked[0]!.caller?.roles).to.equal(undefined);
    expect(asked[2]!.caller?.roles).to.deep.equal(['app']);
    expect(asked[0]!.remote).to.match(/^fake:\/\/client\//);
  });

  it('refuses a bind whose authorizer throws or rejects, and the client link stays usable', async () => {
    let calls = 0;
    await robotSide({
      authorize: async ({ service }) => {
        calls++;
        if (service === 'other') throw new Error('policy store down');
        return true;
      },
    });
    const conn = await connect('fake://gw', { transports: harness.transports });
    harness.opened.push(conn);
    await rejection(conn.service('other'), UnauthorizedError);
    expect(await (await conn.service<typeof whoami>('who')).whoami()).to.equal('nobody');
    expect(calls).to.equal(2);
  });

  it('asks authorize for the gateway monitor too: a trace of others\' calls is the gateway\'s to grant', async () => {
    await robotSide({ authenticate: clientTokens, authorize: ({ service, caller }) => service !== GATEWAY_MONITOR_NAME || caller?.roles?.includes('app') === true });
    const kiosk = await connect('fake://gw', { transports: harness.transports, credentials: { user: 'kiosk', token: 'public' } });
    const app = await connect('fake://gw', { transports: harness.transports, credentials: { user: 'app', token: 'outside' } });
    harness.opened.push(kiosk, app);
    await rejection(kiosk.service(GATEWAY_MONITOR_NAME), UnauthorizedError);
    const monitor = await app.service(GATEWAY_MONITOR_NAME);
    expect(monitor.metaObject.name).to.equal(GATEWAY_MONITOR_NAME);
  });

  it('holds one client link to its share of bindings; others still bind, and a closed binding frees its place', async () => {
    const gateway = await robotSide({ maxBindingsPerLink: 3 });
    const greedy = await connect('fake://gw', { transports: harness.transports });
    harness.opened.push(greedy);
    const held = await Promise.all([1, 2, 3].map(() => greedy.service('who')));
    const error = await rejection(greedy.service('who'), LimitExceededError);
    expect(error.message).to.match(/at most 3 bindings/);
    const other = await connect('fake://gw', { transports: harness.transports });
    harness.opened.push(other);
    expect(await (await other.service<typeof whoami>('who')).whoami()).to.equal('nobody');
    await held[0]!.close();
    await eventually(() => gateway.forwarders.size === 3, 2_000, 'the closed binding to end at the gateway');
    const again = await greedy.service<typeof whoami>('who');
    expect(await again.whoami()).to.equal('nobody');
  });

  it('counts binds still being made against the share, so a burst cannot overshoot it', async () => {
    await robotSide({ maxBindingsPerLink: 5 });
    const conn = await connect('fake://gw', { transports: harness.transports });
    harness.opened.push(conn);
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => conn.service('who')));
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(5);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refusals.every((r) => r.reason instanceof LimitExceededError)).to.equal(true);
  });

  it('holds the links of one remote host to a share of bindings together', async () => {
    await robotSide({ maxBindingsPerAddress: 2 });
    const first = await connect('fake://gw', { transports: harness.transports });
    const second = await connect('fake://gw', { transports: harness.transports });
    harness.opened.push(first, second);
    await first.service('who');
    await second.service('who');
    const error = await rejection(second.service('other'), LimitExceededError);
    expect(error.message).to.match(/one host/);
  });

  it("passes the client's identity to a service that trusts the gateway", async () => {
    await robotSide({ authenticate: clientTokens });
    const app = await connect('fake://gw', { transports: harness.transports, credentials: { user: 'app', token: 'outside' } });
    harness.opened.push(app);
    expect(await (await app.service<typeof whoami>('who')).whoami()).to.equal('app');
  });

  it('without the gateway role, a service sees the gateway itself, whatever the client is', async () => {
    await robotSide({ authenticate: clientTokens }, ['service']);
    const app = await connect('fake://gw', { transports: harness.transports, credentials: { user: 'app', token: 'outside' } });
    harness.opened.push(app);
    expect(await (await app.service<typeof whoami>('who')).whoami()).to.equal('robot');
  });

  it('an open gateway trusted as one gives its anonymous clients no identity, not its own', async () => {
    await robotSide({});
    const anonymous = await connect('fake://gw', { transports: harness.transports });
    harness.opened.push(anonymous);
    expect(await (await anonymous.service<typeof whoami>('who')).whoami()).to.equal('nobody');
  });
});

describe('callerOf: whose identity a binding carries', () => {
  const gateway = { user: 'gw', roles: ['gateway'] };
  it('is the peer itself unless the peer has the gateway role', () => {
    expect(callerOf({ user: 'mallory' }, { user: 'admin', roles: ['admin'] })).to.deep.equal({ user: 'mallory' });
    expect(callerOf(undefined, { user: 'admin' })).to.equal(undefined);
    expect(callerOf(gateway, { user: 'app', roles: ['app'] })).to.deep.equal({ user: 'app', roles: ['app'] });
    expect(callerOf(gateway, null)).to.equal(undefined);
    // A gateway binding for itself (its directory link) is itself.
    expect(callerOf(gateway, undefined)).to.equal(gateway);
  });

  it('reads an identity from the wire only in its exact shape and within bounds', () => {
    for (const bad of [null, 'admin', [], { user: 1 }, { user: 'a', roles: 'admin' }, { user: 'a', roles: [1] }, { user: 'x'.repeat(257) }, { user: 'a', roles: Array(33).fill('r') }]) {
      expect(readIdentity(bad), JSON.stringify(bad)?.slice(0, 40)).to.equal(undefined);
    }
    expect(readIdentity({ user: 'a', roles: ['r'], extra: true })).to.deep.equal({ user: 'a', roles: ['r'] });
  });
});

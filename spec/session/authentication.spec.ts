/**
 * Authentication in the handshake, through the fake transport: a token, a user and password against a stored
 * hash, a two-step challenge, refusals (Unauthorized, the link closed, nothing else read), failed attempts
 * limited per address, a gateway presenting credentials to its directory and services, and a service method
 * reading its caller's identity.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import sinon from 'sinon';
import {
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  hashPassword,
  MemoryTransport,
  passwordAuthenticator,
  tokenAuthenticator,
  TransportRegistry,
  UnauthorizedError,
  withContext,
  type Authenticator,
  type CallContext,
} from '../../lib/index.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { ControlAction } from '../../lib/protocol/control.js';
import { decodeFrames, FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { MessageType } from '../../lib/protocol/header.js';
import { capabilityFrame, eventually, rejection } from '../helpers.js';

const whoami = { whoami: withContext((context: CallContext) => context.identity?.user ?? 'nobody') };
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('authentication', () => {
  let fake: FakeTransport;
  let transports: TransportRegistry;
  const opened: Array<{ close(): Promise<void> }> = [];
  beforeEach(() => {
    fake = new FakeTransport();
    transports = new TransportRegistry([fake, new MemoryTransport()]);
  });
  afterEach(async () => {
    for (const handle of opened.splice(0).reverse()) await handle.close();
  });

  async function serve(authenticate: Authenticator): Promise<void> {
    opened.push(await createService('who', whoami, { transports, listen: ['fake://who'], authenticate }));
  }

  it('lets in a peer with the right token, and its service methods see who called', async () => {
    await serve(tokenAuthenticator({ app: { token: 's3cret', roles: ['client'] } }));
    const connection = await connect('fake://who', { transports, credentials: { user: 'app', token: 's3cret' } });
    opened.push(connection);
    const who = await connection.service<typeof whoami>('who');
    expect(await who.whoami()).to.equal('app');
  });

  it('refuses a wrong token or none with Unauthorized, and closes the link', async () => {
    await serve(tokenAuthenticator({ app: { token: 's3cret' } }));
    const error = await rejection(connect('fake://who', { transports, credentials: { user: 'app', token: 'guess' }, reconnect: false }), UnauthorizedError);
    expect(error.message).to.contain('bad user or token');
    await rejection(connect('fake://who', { transports, reconnect: false }), UnauthorizedError);
    await eventually(() => fake.links.every((link) => link.closed), 1_000, 'every link to close');
  });

  it('reads nothing but the handshake before the peer is let in', async () => {
    let bound = false;
    const slow: Authenticator = () => new Promise((resolve) => setTimeout(() => resolve({ identity: { user: 'late' } }), 50));
    opened.push(await createService('who', { ...whoami, bindMe: () => (bound = true) }, { transports, listen: ['fake://who'], authenticate: slow }));
    const link = (await fake.connect(new URL('fake://who'))) as FakeLink;
    const closed = new Promise((resolve) => link.onClose(resolve));
    link.send(capabilityFrame());
    // A bind sent before the authenticator answered: the link is closed, the bind never reaches the service.
    link.send(encodeMessage({ id: 1, type: MessageType.Call, channel: 0, object: 0, action: ControlAction.bind }, { name: 'who' }));
    await closed;
    const answers = decodeFrames(link.peer!.sent).map((frame) => frame.header.type);
    expect(answers).to.not.include(MessageType.Reply);
    expect(bound).to.equal(false);
  });

  it('takes a challenge and its answer in two steps', async () => {
    const token = 's3cret';
    await serve(({ user, response }, peer) => {
      if (peer.step === 1) return { challenge: { nonce: 'a1b2c3' } };
      return response === sha256(`${peer.challenge!.nonce}${token}`) ? { identity: { user: user! } } : { refused: 'bad response' };
    });
    const credentials = (challenge: Record<string, string> | undefined): Record<string, string> =>
      challenge ? { user: 'alice', response: sha256(`${challenge.nonce}${token}`) } : { user: 'alice' };
    const connection = await connect('fake://who', { transports, credentials });
    opened.push(connection);
    expect(await (await connection.service<typeof whoami>('who')).whoami()).to.equal('alice');
    const wrong = (challenge: Record<string, string> | undefined): Record<string, string> => (challenge ? { user: 'alice', response: 'nope' } : { user: 'alice' });
    await rejection(connect('fake://who', { transports, credentials: wrong, reconnect: false }), UnauthorizedError);
  });

  it('fails with Unauthorized when challenged without a function to answer, and refuses credentials that are not strings', async () => {
    await serve(() => ({ challenge: { nonce: 'n' } }));
    await rejection(connect('fake://who', { transports, credentials: { user: 'alice' }, reconnect: false }), UnauthorizedError);
    const refused = await rejection(connect('fake://who', { transports, credentials: { user: 42 } as unknown as Record<string, string>, reconnect: false }), UnauthorizedError);
    expect(refused.message).to.contain('map of strings');
  });

  it('checks a user and password against a stored scrypt hash', async () => {
    await serve(passwordAuthenticator({ nao: { hash: await hashPassword('robot-password') } }));
    const connection = await connect('fake://who', { transports, credentials: { user: 'nao', password: 'robot-password' } });
    opened.push(connection);
    expect(await (await connection.service<typeof whoami>('who')).whoami()).to.equal('nao');
    await rejection(connect('fake://who', { transports, credentials: { user: 'nao', password: 'robot' }, reconnect: false }), UnauthorizedError);
    await rejection(connect('fake://who', { transports, credentials: { user: 'pepper', password: 'robot-password' }, reconnect: false }), UnauthorizedError);
  });

  it('refuses an address at once after ten failures, without asking the authenticator', async () => {
    const check = sinon.spy(tokenAuthenticator({ app: { token: 's3cret' } }));
    await serve(check);
    for (let i = 0; i < 10; i++) await rejection(connect('fake://who', { transports, credentials: { user: 'app', token: `guess${i}` }, reconnect: false }), UnauthorizedError);
    expect(check.callCount).to.equal(10);
    const blocked = await rejection(connect('fake://who', { transports, credentials: { user: 'app', token: 's3cret' }, reconnect: false }), UnauthorizedError);
    expect(blocked.message).to.contain('too many failed attempts');
    expect(check.callCount, 'not asked again').to.equal(10);
  });

  it('lets a gateway present its credentials to its directory and services, and check its own clients', async () => {
    const authenticate = tokenAuthenticator({ robot: { token: 'inside', roles: ['service', 'gateway'] }, app: { token: 'outside' } });
    const robot = { user: 'robot', token: 'inside' };
    // Fake links come from host `client`, not from the endpoints' hosts: let the service name its fake endpoint.
    const directory = await createServiceDirectory({ transports, listen: ['fake://sd'], authenticate, registration: { allowEndpoint: () => true } });
    opened.push(directory);
    opened.push(await createService('who', whoami, { transports, listen: ['fake://who'], directory: directory.url, authenticate, credentials: robot }));
    const gateway = await createGateway({ transports, directory: directory.url, listen: ['memory://auth-gw'], authenticate, credentials: robot });
    opened.push(gateway);
    const connection = await connect('memory://auth-gw', { transports, credentials: { user: 'app', token: 'outside' } });
    opened.push(connection);
    // The service trusts the gateway (its `gateway` role), so it sees the gateway's client.
    expect(await (await connection.service<typeof whoami>('who')).whoami()).to.equal('app');
    await rejection(connect('memory://auth-gw', { transports, reconnect: false }), UnauthorizedError);
  });
});

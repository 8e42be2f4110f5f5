/**
 * Who may register with a directory, and which endpoints a record may name: over real TCP a remote registrant
 * names endpoints on its own host only (a record pointing elsewhere would make every gateway dial there for any
 * client), never an in-process one; 0.0.0.0 becomes its address; with authentication, only the `service` role
 * registers; both rules can be replaced.
 */
import { expect } from 'chai';
import {
  connect,
  createService,
  createServiceDirectory,
  onOwnHost,
  tokenAuthenticator,
  UnauthorizedError,
  type DirectoryService,
  type Registrant,
  type ServiceDirectory,
} from '../../lib/index.js';
import { rejection } from '../helpers.js';

describe('registration policy', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const handle of opened.splice(0).reverse()) await handle.close();
  });

  async function directoryOverTcp(options: Partial<Parameters<typeof createServiceDirectory>[0]> = {}): Promise<ServiceDirectory> {
    const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'], ...options });
    opened.push(directory);
    return directory;
  }

  async function directoryClient(url: string, credentials?: Record<string, string>) {
    const conn = await connect(url, credentials ? { credentials, reconnect: false } : { reconnect: false });
    opened.push(conn);
    return conn.service<DirectoryService>('ServiceDirectory');
  }

  it('lets a remote registrant name endpoints on its own host only, never another host or memory://', async () => {
    const directory = await directoryOverTcp();
    const sd = await directoryClient(directory.url);
    for (const endpoint of ['tcp://10.1.2.3:4444', 'tcp://attacker.example:4444', 'memory://gateway', 'ws://192.168.0.9:80/qi']) {
      const error = await rejection(sd.register('calc', [endpoint]), UnauthorizedError);
      expect(error.message).to.include(endpoint);
    }
    // Any loopback name is its own host when it came over loopback.
    const id = await sd.register('calc', ['tcp://127.0.0.1:9600', 'ws://localhost:9601/qi']);
    expect((await sd.lookup('calc')).endpoints).to.deep.equal(['tcp://127.0.0.1:9600', 'ws://localhost:9601/qi']);
    expect(id).to.be.a('number');
    expect(directory.services().map((s) => s.name)).to.have.members(['ServiceDirectory', 'calc']);
  });

  it('records a listener on every interface at the address the registrant came from', async () => {
    const directory = await directoryOverTcp();
    const sd = await directoryClient(directory.url);
    await sd.register('calc', ['tcp://0.0.0.0:9600']);
    expect((await sd.lookup('calc')).endpoints).to.deep.equal(['tcp://127.0.0.1:9600']);
  });

  it('lets an in-process registrant name any endpoint', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://policy-sd'] });
    opened.push(directory);
    const sd = await directoryClient(directory.url);
    await sd.register('elsewhere', ['tcp://10.1.2.3:4444']);
    expect((await sd.lookup('elsewhere')).endpoints).to.deep.equal(['tcp://10.1.2.3:4444']);
  });

  it('with authentication, lets only identities with the service role register', async () => {
    const authenticate = tokenAuthenticator({ app: { token: 'a' }, motion: { token: 'm', roles: ['service'] } });
    const directory = await directoryOverTcp({ authenticate });
    const app = await directoryClient(directory.url, { user: 'app', token: 'a' });
    await rejection(app.register('calc', ['tcp://127.0.0.1:9600']), UnauthorizedError);
    expect((await app.list()).map((r) => r.name)).to.deep.equal(['ServiceDirectory']);
    const service = await createService('motion', { stop: () => true }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'], credentials: { user: 'motion', token: 'm' } });
    opened.push(service);
    expect((await app.lookup('motion')).endpoints).to.deep.equal(service.endpoints);
  });

  it('takes the application’s own rules in place of the defaults', async () => {
    const asked: Array<[string, string]> = [];
    const directory = await directoryOverTcp({
      registration: {
        mayRegister: (_registrant: Registrant, name: string) => name.startsWith('robot.'),
        allowEndpoint: (endpoint: URL, registrant: Registrant) => (asked.push([endpoint.href, registrant.remote]), endpoint.hostname.endsWith('.robot.lan')),
      },
    });
    const sd = await directoryClient(directory.url);
    await rejection(sd.register('calc', ['tcp://arm.robot.lan:9600']), UnauthorizedError);
    await rejection(sd.register('robot.calc', ['tcp://127.0.0.1:9600']), UnauthorizedError);
    await sd.register('robot.calc', ['tcp://arm.robot.lan:9600']);
    expect(asked.map(([href]) => href)).to.deep.equal(['tcp://127.0.0.1:9600', 'tcp://arm.robot.lan:9600']);
    expect(asked[0]![1]).to.match(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('onOwnHost', () => {
  const from = (remote: string): Registrant => ({ identity: undefined, remote, inProcess: false });
  it('compares hosts, treats every loopback name as one, and refuses memory:// from afar', () => {
    expect(onOwnHost(new URL('tcp://10.0.0.7:1'), from('tcp://10.0.0.7:5000'))).to.equal(true);
    expect(onOwnHost(new URL('tcp://10.0.0.8:1'), from('tcp://10.0.0.7:5000'))).to.equal(false);
    expect(onOwnHost(new URL('tcp://[::1]:1'), from('tcp://127.0.0.1:5000'))).to.equal(true);
    expect(onOwnHost(new URL('tcp://127.0.0.1:1'), from('tcp://10.0.0.7:5000'))).to.equal(false);
    expect(onOwnHost(new URL('memory://x'), from('tcp://127.0.0.1:5000'))).to.equal(false);
    expect(onOwnHost(new URL('memory://x'), { identity: undefined, remote: 'memory://x', inProcess: true })).to.equal(true);
  });
});

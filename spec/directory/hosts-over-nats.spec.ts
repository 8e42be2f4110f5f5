/**
 * One directory instance per host on one JetStream bucket, and a gateway per host: a service on host A, registered
 * with A's directory and listening on nats://, is found through host B's gateway, which dials it over NATS. One
 * name on two hosts is refused ("already registered"), whichever host asks second. The hosts are in this process,
 * kept apart by reaching each other only through NATS (memory:// inside a host, nats:// between hosts).
 */
import { expect } from 'chai';
import {
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  jetStreamDirectory,
  ServiceAlreadyRegisteredError,
  UnauthorizedError,
  type Connection,
  type DirectoryService,
  type Gateway,
  type ServiceDirectory,
} from '../../lib/index.js';
import { QiError } from '../../lib/protocol/errors.js';
import { eventually, rejection } from '../helpers.js';
import { startNatsServer, type NatsServer, skipWithoutNatsServer } from '../nats-server.js';

interface Calc {
  add(a: number, b: number): number;
}

describe('hosts sharing a directory over NATS', function () {
  this.timeout(30_000);
  let server: NatsServer;
  const closing: Array<{ close(): Promise<void> }> = [];
  const keep = <T extends { close(): Promise<void> }>(thing: T): T => (closing.push(thing), thing);

  /** A host: its directory instance and its gateway, on memory:// endpoints of their own. */
  const host = async (name: string): Promise<{ directory: ServiceDirectory; gateway: Gateway }> => {
    const directory = keep(await createServiceDirectory({ listen: [`memory://${name}-sd`, 'tcp://127.0.0.1:0'], store: jetStreamDirectory({ servers: server.url }) }));
    const gateway = keep(await createGateway({ directory: directory.url, listen: [`memory://${name}-gw`] }));
    return { directory, gateway };
  };

  before(async function () {
    skipWithoutNatsServer(this);
    server = await startNatsServer({ jetstream: true });
  });
  afterEach(async () => {
    for (const thing of closing.splice(0).reverse()) await thing.close();
  });
  after(() => server?.stop());

  it("finds a service of host A through host B's gateway, which dials it over nats://", async () => {
    const a = await host('host-a');
    const b = await host('host-b');
    const calc = keep(await createService('calc', { add: (x: number, y: number) => x + y }, { directory: a.directory.url, listen: [`${server.url}/qi.host-a.calc`] }));
    await eventually(() => b.directory.services().some((s) => s.name === 'calc'), 2_000, 'calc seen on b');
    const client = keep(await connect(b.gateway.url));
    const proxy = await client.service<Calc>('calc');
    expect(await proxy.add(2, 3)).to.equal(5);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => proxy.add(i, 1)));
    expect(results[199]).to.equal(200);
    // Host A's service goes: B's client hears of it through the existing path.
    await calc.close();
    const error = await rejection(proxy.add(1, 1), QiError);
    expect(['ServiceGone', 'ConnectionLost']).to.include(error.code);
  });

  it('refuses a second instance of one name on another host: the name is already registered', async () => {
    const a = await host('host-c');
    const b = await host('host-d');
    keep(await createService('tts', { say: (t: string) => t }, { directory: a.directory.url, listen: [`${server.url}/qi.host-c.tts`] }));
    await rejection(createService('tts', { say: (t: string) => t }, { directory: b.directory.url, listen: [`${server.url}/qi.host-d.tts`] }), ServiceAlreadyRegisteredError);
  });

  it("lets a remote registrant name nats:// endpoints on the store's servers, and no other NATS server", async () => {
    const a = await host('host-e');
    const tcp = a.directory.endpoints.find((e) => e.startsWith('tcp://'))!;
    const registrant: Connection = keep(await connect(tcp));
    const sd = await registrant.service<DirectoryService>('ServiceDirectory');
    expect(await sd.register('remote', [`${server.url}/qi.remote`])).to.be.a('number');
    await rejection(sd.register('elsewhere', ['nats://nats.attacker.example:4222/qi.x']), UnauthorizedError);
  });
});

/**
 * nats:// against a nats-server that wants credentials: a user and password (or a token) in the URL, as
 * nats-server's own URLs spell them, or in `new NatsTransport({ connection })`; wrong ones end the connect with a
 * TransportError at once, not a hang (and the JetStream directory's connection with a DirectoryUnavailableError). Without nats-server these skip, saying why.
 */
import { expect } from 'chai';
import { connect, createService, createServiceDirectory, defaultTransports, DirectoryUnavailableError, jetStreamDirectory, NatsTransport, type Connection, type Service, type TransportRegistry } from '../../lib/index.js';
import { TransportError } from '../../lib/protocol/errors.js';
import { rejection } from '../helpers.js';
import { startNatsServer, type NatsServer, skipWithoutNatsServer } from '../nats-server.js';

interface Echo {
  echo(x: unknown): unknown;
}

describe('nats:// with credentials', function () {
  this.timeout(20_000);
  let server: NatsServer | undefined;
  const closing: Array<{ close(): Promise<void> }> = [];

  before(function () {
    skipWithoutNatsServer(this);
  });
  afterEach(async () => {
    for (const thing of closing.splice(0).reverse()) await thing.close();
    await server?.stop();
    server = undefined;
  });

  /** A service at `listen` and a client of it at `dial`, each with its own transports; the client's answer. */
  const roundTrip = async (listen: string, dial: string, transports?: () => TransportRegistry): Promise<unknown> => {
    const service: Service = await createService('echo', { echo: (x: unknown) => x }, { listen: [listen], ...(transports && { transports: transports() }) });
    closing.push(service);
    const connection: Connection = await connect(dial, transports && { transports: transports() });
    closing.push(connection);
    return (await connection.service<Echo>('echo')).echo('hi');
  };
  const hostOf = (s: NatsServer): string => `127.0.0.1:${s.port}`;

  it('connects with nats://user:pass@host, and with NatsTransport({ connection: { user, pass } })', async () => {
    server = await startNatsServer({ args: ['--user', 'qi', '--pass', 's3cret'] });
    const url = `nats://qi:s3cret@${hostOf(server)}/qi.cred.echo`;
    expect(await roundTrip(url, url)).to.equal('hi');
    const withOptions = (): TransportRegistry => defaultTransports().register(new NatsTransport({ connection: { user: 'qi', pass: 's3cret' } }));
    expect(await roundTrip(`${server.url}/qi.cred.echo2`, `${server.url}/qi.cred.echo2`, withOptions)).to.equal('hi');
  });

  it('connects with a token: nats://TOKEN@host', async () => {
    server = await startNatsServer({ args: ['--auth', 'tok3n'] });
    const url = `nats://tok3n@${hostOf(server)}/qi.cred.token`;
    expect(await roundTrip(url, url)).to.equal('hi');
  });

  it('refuses wrong or missing credentials with a TransportError at once', async () => {
    server = await startNatsServer({ args: ['--user', 'qi', '--pass', 's3cret'] });
    for (const url of [`nats://qi:wrong@${hostOf(server)}/qi.cred.x`, `${server.url}/qi.cred.x`]) {
      const start = performance.now();
      const error = await rejection(connect(url), TransportError);
      const ms = performance.now() - start;
      expect(error.message, url).to.match(/authorization/i);
      expect(ms, url).to.be.below(3_000);
      const listening = await rejection(createService('x', { ping: () => 1 }, { listen: [url] }), TransportError);
      expect(listening.message).to.match(/authorization/i);
    }
    // The JetStream directory's own connection: its connection options, refused the same way.
    const store = jetStreamDirectory({ servers: server.url, connection: { user: 'qi', pass: 'wrong' } });
    const refused = await rejection(createServiceDirectory({ listen: ['memory://cred-sd'], store }), DirectoryUnavailableError);
    expect(refused.message).to.match(/authorization/i);
  });
});

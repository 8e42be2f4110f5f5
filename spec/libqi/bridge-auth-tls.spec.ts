/**
 * The bridge with authentication and TLS (issue #16): a gateway whose libqi directory is the kit's `qi_sd
 * --auth=token` on `tcps://`. With the right `libqi: { user, token, tls }` a qimessaging client binds the kit's Zoo
 * and calls it; a directory refusing the gateway's token fails the start with UnauthorizedError (the gateway's
 * owner's to mend), and a bind after the directory came back with another token with DirectoryUnavailable
 * (`data.cause` 'Unauthorized'): the client's own credentials are not at fault.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/bridge-auth-tls.spec.ts
 */
import { expect } from 'chai';
import { connect, createGateway, DirectoryUnavailableError, UnauthorizedError, ServiceNotFoundError, type Connection, type ServiceProxy } from '../../lib/index.js';
import { rejection } from '../helpers.js';
import { freePort, KIT_CERT, KIT_KEY, peersOfEachTest, startPeer } from './peer.js';

/** Binds `name`, waiting for it to register (the kit's service starts beside the test). */
async function bindWhenRegistered(connection: Connection, name: string): Promise<ServiceProxy> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await connection.service(name);
    } catch (err) {
      if (!(err instanceof ServiceNotFoundError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('the Gateway as a bridge to a libqi directory with auth over tcps://', function () {
  this.timeout(60_000);
  const peers = peersOfEachTest();
  const certFile = KIT_CERT;
  const keyFile = KIT_KEY;

  const sdArgs = (token: string, url: string): string[] => ['--auth=token', '--user=alice', `--token=${token}`, `--cert=${certFile}`, `--key=${keyFile}`, url];

  it('binds and calls the kit\'s Zoo with the right token; a wrong one fails the start with UnauthorizedError', async () => {
    const sdPort = await freePort();
    const sdUrl = `tcps://127.0.0.1:${sdPort}`;
    peers.push(await startPeer('qi_sd', sdArgs('s3cret', sdUrl), { port: sdPort }));
    const zooPort = await freePort();
    peers.push(
      await startPeer('qi_zoo_service', ['--user=alice', '--token=s3cret', `--cert=${certFile}`, `--key=${keyFile}`, sdUrl, `tcps://127.0.0.1:${zooPort}`], { port: zooPort }),
    );
    const refused = await rejection(
      createGateway({ libqiDirectory: sdUrl, libqi: { user: 'alice', token: 'wrong' }, listen: ['tcp://127.0.0.1:0'] }),
      UnauthorizedError,
    );
    expect(refused.message).to.include("refused the gateway's credentials");
    const gateway = await createGateway({ libqiDirectory: sdUrl, libqi: { user: 'alice', token: 's3cret', tls: {} }, listen: ['tcp://127.0.0.1:0'] });
    const connection = await connect(gateway.url);
    try {
      const zoo = await bindWhenRegistered(connection, 'Zoo');
      expect(await zoo.call('echoString', 'over tcps')).to.equal('over tcps');
      expect(await zoo.call('sum', 40, 2)).to.equal(42);
    } finally {
      await connection.close();
      await gateway.close();
    }
  });

  it('a bind after the directory came back with another token fails with DirectoryUnavailable (cause Unauthorized)', async () => {
    const sdPort = await freePort();
    const sdUrl = `tcps://127.0.0.1:${sdPort}`;
    const firstSd = await startPeer('qi_sd', sdArgs('s3cret', sdUrl), { port: sdPort });
    peers.push(firstSd);
    const zooPort = await freePort();
    peers.push(
      await startPeer('qi_zoo_service', ['--user=alice', '--token=s3cret', `--cert=${certFile}`, `--key=${keyFile}`, sdUrl, `tcps://127.0.0.1:${zooPort}`], { port: zooPort }),
    );
    const gateway = await createGateway({ libqiDirectory: sdUrl, libqi: { user: 'alice', token: 's3cret' }, listen: ['tcp://127.0.0.1:0'] });
    const connection = await connect(gateway.url);
    try {
      await bindWhenRegistered(connection, 'Zoo');
      await firstSd.stop();
      peers.push(await startPeer('qi_sd', sdArgs('changed', sdUrl), { port: sdPort }));
      const error = await rejection(connection.service('Zoo'), DirectoryUnavailableError);
      expect(error.message).to.include("refused the gateway's credentials");
      expect(error.data).to.deep.equal({ cause: 'Unauthorized' });
    } finally {
      await connection.close();
      await gateway.close();
    }
  });
});

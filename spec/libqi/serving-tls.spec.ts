/**
 * The serving side over TLS (libqi's `tcps://`), against the real libqi: a qimessaging Zoo listening on `tcps://`
 * with the kit's certificate, registered with the kit's `qi_sd` on `tcps://`, checked by the kit's `qi_zoo_client`
 * over `tcps://`; and the kit's `qi_client demo` through a qimessaging directory on `tcps://`.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/serving-tls.spec.ts
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createLibqiService, createLibqiServiceDirectory, TlsTransport } from '../../lib/index.js';
import { eventually } from '../helpers.js';
import { freePort, runPeer, runQiClientDemo, KIT_CERT, KIT_KEY, peersOfEachTest, startPeer } from './peer.js';
import { zooImplementation } from './zoo-impl.js';

describe('libqi serving side over tcps://', function () {
  this.timeout(60_000);
  const peers = peersOfEachTest();
  const certFile = KIT_CERT;
  const keyFile = KIT_KEY;

  it("a Zoo on tcps://, registered with the kit's qi_sd on tcps://, passes qi_zoo_client over tcps://", async () => {
    const port = await freePort();
    const sdUrl = `tcps://127.0.0.1:${port}`;
    peers.push(await startPeer('qi_sd', [`--cert=${certFile}`, `--key=${keyFile}`, sdUrl], { port }));
    const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
    const zoo = await createLibqiService('Zoo', zooImplementation(), { directory: sdUrl, listen: 'tcps://127.0.0.1:0', tls });
    try {
      expect(zoo.endpoints[0]).to.match(/^tcps:\/\/127\.0\.0\.1:\d+$/);
      const { code, output } = await runPeer('qi_zoo_client', [sdUrl, 'Zoo'], { timeout: 45_000 });
      expect(output.split('\n').find((l) => l.startsWith('summary:')), output).to.equal('summary: 112 ok, 0 failed');
      expect(code).to.equal(0);
    } finally {
      await zoo.close();
    }
  });

  it("the kit's qi_echo_service and qi_client demo through a qimessaging directory on tcps://", async () => {
    const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
    const sd = await createLibqiServiceDirectory({ listen: `tcps://127.0.0.1:${await freePort()}`, tls });
    try {
      const echoPort = await freePort();
      peers.push(await startPeer('qi_echo_service', [sd.url, `tcp://127.0.0.1:${echoPort}`], { port: echoPort }));
      await eventually(() => sd.services().some((s) => s.name === 'Echo'), 10_000, 'Echo registered');
      const { code, output } = await runQiClientDemo(sd.url);
      expect(output).to.include('fail -> error: boom');
      expect(code, output).to.equal(0);
    } finally {
      for (const peer of peers.splice(0).reverse()) await peer.stop();
      await sd.close();
    }
  });

  it("mutual TLS (tcpsm://): a Zoo and the kit's qi_sd each check the other; qi_zoo_client with the kit's certificate passes, one without is refused", async () => {
    const port = await freePort();
    const sdUrl = `tcpsm://127.0.0.1:${port}`;
    const certArgs = [`--cert=${certFile}`, `--key=${keyFile}`, `--ca=${certFile}`];
    peers.push(await startPeer('qi_sd', [...certArgs, sdUrl], { port }));
    const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile), ca: readFileSync(certFile) };
    const zoo = await createLibqiService('Zoo', zooImplementation(), { directory: sdUrl, listen: 'tcpsm://127.0.0.1:0', tls });
    try {
      expect(zoo.endpoints[0]).to.match(/^tcpsm:\/\/127\.0\.0\.1:\d+$/);
      const { code, output } = await runPeer('qi_zoo_client', [...certArgs, sdUrl, 'Zoo'], { timeout: 45_000 });
      expect(output.split('\n').find((l) => l.startsWith('summary:')), output).to.equal('summary: 112 ok, 0 failed');
      expect(code).to.equal(0);
      const stranger = await runPeer('qi_zoo_client', [sdUrl, 'Zoo'], { timeout: 45_000 });
      expect(stranger.code, stranger.output).to.equal(2);
      // The Zoo's own listener refuses a client without a certificate too.
      const endpoint = new URL(zoo.endpoints[0]!);
      const refused = await new TlsTransport({ rejectUnauthorized: false })
        .connect(new URL(`tls://127.0.0.1:${endpoint.port}`), { protocolVersion: 0 })
        .then((link) => new Promise<boolean>((resolve) => (link.closed ? resolve(true) : link.onClose(() => resolve(true)))), () => true);
      expect(refused).to.equal(true);
    } finally {
      await zoo.close();
    }
  });
});

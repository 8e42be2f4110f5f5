/**
 * TLS × authentication against the real libqi (issue #16): the kit's `qi_sd` on `tcps://` (no certificate
 * checked, libqi's TcpScheme::Tls) and on `tcpsm://` (mutual TLS, both sides checked), each with `--auth=token`
 * and `--auth=challenge`. For each of the four: qimessaging's libqi client calls the kit's Zoo through it with
 * the right credentials and is refused with UnauthorizedError with a wrong token; and a qimessaging Zoo
 * registers there itself (createLibqiService) and passes the kit's qi_zoo_client over the same scheme.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/tls-auth-matrix.spec.ts
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UnauthorizedError } from '../../lib/protocol/errors.js';
import { connectLibqi, createLibqiService, type LibqiAuthOptions, type LibqiConnection } from '../../lib/index.js';
import type { TlsTransportOptions } from '../../lib/transports/tls.js';
import { rejection } from '../helpers.js';
import { freePort, runPeer, KIT_CERT, KIT_KEY, peersOfEachTest, startPeer } from './peer.js';
import { zooImplementation } from './zoo-impl.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

type Scheme = 'tcps' | 'tcpsm';
type Mode = 'token' | 'challenge';

/** Our client's credentials for a kit SD in `mode`, with `token` as alice's. */
function credentials(mode: Mode, token: string): LibqiAuthOptions {
  if (mode === 'token') return { credentials: { user: 'alice', token } };
  return { credentials: { user: 'alice' }, answerChallenge: (c) => ({ user: 'alice', response: sha256(String(c['challenge']) + token) }) };
}

const zooSummary = (output: string): string | undefined => output.split('\n').find((l) => l.startsWith('summary:'));

async function zooOf(connection: LibqiConnection): Promise<Awaited<ReturnType<LibqiConnection['service']>>> {
  const deadline = Date.now() + 10_000;
  while (!(await connection.services()).some((s) => s.name === 'Zoo')) {
    if (Date.now() > deadline) throw new Error('Zoo did not register');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return connection.service('Zoo');
}

describe('libqi TLS × authentication against the kit', function () {
  this.timeout(60_000);
  const peers = peersOfEachTest();
  const certFile = KIT_CERT;
  const keyFile = KIT_KEY;

  /** The kit's options for a scheme: an identity for both; the CA too (and so a check) only with tcpsm. */
  const certArgs = (scheme: Scheme): string[] => [`--cert=${certFile}`, `--key=${keyFile}`, ...(scheme === 'tcpsm' ? [`--ca=${certFile}`] : [])];
  const tlsOptions = (scheme: Scheme): TlsTransportOptions => ({
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    ...(scheme === 'tcpsm' ? { ca: readFileSync(certFile) } : {}),
  });

  async function startSd(scheme: Scheme, mode: Mode): Promise<string> {
    const port = await freePort();
    const url = `${scheme}://127.0.0.1:${port}`;
    peers.push(await startPeer('qi_sd', [`--auth=${mode}`, '--user=alice', '--token=s3cret', ...certArgs(scheme), url], { port }));
    return url;
  }

  for (const scheme of ['tcps', 'tcpsm'] as const) {
    for (const mode of ['token', 'challenge'] as const) {
      it(`${scheme}:// + --auth=${mode}: our client calls the kit's Zoo with alice/s3cret; a wrong token is refused (UnauthorizedError)`, async () => {
        const sdUrl = await startSd(scheme, mode);
        const zooPort = await freePort();
        peers.push(
          await startPeer('qi_zoo_service', ['--user=alice', '--token=s3cret', ...certArgs(scheme), sdUrl, `${scheme}://127.0.0.1:${zooPort}`], { port: zooPort }),
        );
        const connection = await connectLibqi(sdUrl, { ...credentials(mode, 's3cret'), tls: tlsOptions(scheme) });
        try {
          const zoo = await zooOf(connection);
          expect(await zoo.call('echoString', 'through TLS')).to.equal('through TLS');
          expect(await zoo.call('reverseString', 'abc')).to.equal('cba');
          expect(connection.links.every((l) => l.startsWith(`${scheme}://`)), connection.links.join()).to.equal(true);
        } finally {
          await connection.close();
        }
        const refused = await rejection(connectLibqi(sdUrl, { ...credentials(mode, 'wrong'), tls: tlsOptions(scheme) }), UnauthorizedError);
        expect(refused.message).to.match(/refused|closed/);
      });

      it(`${scheme}:// + --auth=${mode}: a qimessaging Zoo registers as alice and passes the kit's qi_zoo_client over ${scheme}://`, async () => {
        const sdUrl = await startSd(scheme, mode);
        const zoo = await createLibqiService('Zoo', zooImplementation(), {
          directory: sdUrl,
          listen: `${scheme}://127.0.0.1:0`,
          tls: tlsOptions(scheme),
          ...credentials(mode, 's3cret'),
        });
        try {
          expect(zoo.endpoints[0]).to.match(new RegExp(`^${scheme}://127\\.0\\.0\\.1:\\d+$`));
          const clientAuth = ['--user=alice', '--token=s3cret', ...(mode === 'challenge' ? ['--challenge'] : [])];
          const { code, output } = await runPeer('qi_zoo_client', [...clientAuth, ...certArgs(scheme), sdUrl, 'Zoo'], { timeout: 45_000 });
          expect(zooSummary(output), output).to.equal('summary: 112 ok, 0 failed');
          expect(code).to.equal(0);
          const wrong = await runPeer('qi_zoo_client', ['--user=alice', '--token=wrong', ...certArgs(scheme), sdUrl, 'Zoo'], { timeout: 45_000 });
          expect(wrong.code, wrong.output).to.equal(2);
        } finally {
          await zoo.close();
        }
      });
    }
  }

  it('a createLibqiService with a wrong token is refused by the kit SD (UnauthorizedError) and listens no more', async () => {
    const sdUrl = await startSd('tcps', 'token');
    const port = await freePort();
    await rejection(
      createLibqiService('Zoo', zooImplementation(), { directory: sdUrl, listen: `tcps://127.0.0.1:${port}`, tls: tlsOptions('tcps'), credentials: { user: 'alice', token: 'wrong' } }),
      UnauthorizedError,
    );
    // Its listener was closed on the refusal: the port is free again.
    const again = await createLibqiService('Zoo', zooImplementation(), {
      directory: sdUrl,
      listen: `tcps://127.0.0.1:${port}`,
      tls: tlsOptions('tcps'),
      credentials: { user: 'alice', token: 's3cret' },
    });
    await again.close();
  });
});

describe('libqi tcpsm:// checks both sides (against the kit)', function () {
  this.timeout(30_000);
  const peers = peersOfEachTest();

  it("our client without a certificate, or not trusting the SD's, is refused (the tcps:// cases above trust nothing: libqi's tcps checks no certificate)", async () => {
    const certFile = KIT_CERT;
    const keyFile = KIT_KEY;
    const port = await freePort();
    const sdUrl = `tcpsm://127.0.0.1:${port}`;
    peers.push(await startPeer('qi_sd', ['--auth=token', '--user=alice', '--token=s3cret', `--cert=${certFile}`, `--key=${keyFile}`, `--ca=${certFile}`, sdUrl], { port }));
    const auth = { credentials: { user: 'alice', token: 's3cret' }, connectTimeout: 5_000 };
    const noCertificate = await connectLibqi(sdUrl, { ...auth, tls: { ca: readFileSync(certFile) } }).then(
      (c) => c.close().then(() => undefined),
      (err: Error) => err,
    );
    expect(noCertificate, 'the SD admitted a client without a certificate').to.be.instanceOf(Error);
    const notTrusting = await connectLibqi(sdUrl, { ...auth, tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) } }).then(
      (c) => c.close().then(() => undefined),
      (err: Error) => err,
    );
    expect(notTrusting?.message, 'our tcpsm client accepted a certificate it does not trust').to.match(/self[- ]signed|certificate/i);
    const full = await connectLibqi(sdUrl, { ...auth, tls: { cert: readFileSync(certFile), key: readFileSync(keyFile), ca: readFileSync(certFile) } });
    await full.close();
  });
});

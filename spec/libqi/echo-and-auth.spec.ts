/**
 * The steps of the kit's `qi_client demo`, made by qimessaging's libqi client against the kit's
 * `qi_echo_service`; and authentication against `qi_sd --auth=token|challenge` (a wrong token refused with
 * UnauthorizedError, the two-step challenge answered).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/echo-and-auth.spec.ts
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { RemoteError, ServiceNotFoundError, UnauthorizedError } from '../../lib/protocol/errors.js';
import { connectLibqi, type LibqiConnection } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { freePort, skipWithoutPeer, startPeer, type PeerProcess } from './peer.js';

async function waitForService(connection: LibqiConnection, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await connection.services()).some((s) => s.name === name)) {
    if (Date.now() > deadline) throw new Error(`${name} did not register`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('libqi client: the qi_client demo steps against qi_echo_service', function () {
  this.timeout(30_000);
  const peers: PeerProcess[] = [];
  let sdUrl: string;

  before(async function () {
    skipWithoutPeer(this);
    const sdPort = await freePort();
    const echoPort = await freePort();
    sdUrl = `tcp://127.0.0.1:${sdPort}`;
    peers.push(await startPeer('qi_sd', [sdUrl], { port: sdPort }));
    peers.push(await startPeer('qi_echo_service', [sdUrl, `tcp://127.0.0.1:${echoPort}`], { port: echoPort }));
  });

  after(async () => {
    for (const peer of peers.reverse()) await peer.stop();
  });

  it('services, metaObject, echo, add, split, echoValue, the pinged signal, the counter property, fail, serviceAdded/Removed', async () => {
    const connection = await connectLibqi(sdUrl);
    try {
      await waitForService(connection, 'Echo');
      const services = (await connection.services()).map((s) => `[${s.serviceId}]${s.name}`);
      expect(services).to.deep.equal(['[1]ServiceDirectory', '[2]Echo']);
      const echo = await connection.service('Echo');
      const methods = [...echo.metaObject.methods.values()].filter((m) => m.uid >= 100).map((m) => `${m.uid} ${m.name}${m.parametersSignature}`);
      expect(methods).to.deep.equal(['100 echo(s)', '101 add(ii)', '102 echoValue(m)', '103 split(s)', '104 fire(s)', '105 fail(s)']);
      expect(await echo.call('echo', 'hello')).to.equal('hello');
      expect(await echo.call('add', 40, 2)).to.equal(42);
      expect(await echo.call('split', 'a b c')).to.have.length(3);
      expect(await echo.call('echoValue', { i: 7, s: 'x', f: 1.5 })).to.deep.equal(new Map<string, unknown>([['f', 1.5], ['i', 7], ['s', 'x']]));
      const pings: unknown[] = [];
      const listener = (text: unknown): void => void pings.push(text);
      await echo.on('pinged', listener);
      await echo.call('fire', 'ping!');
      await eventually(() => pings.length === 1, 2_000, 'the pinged event');
      expect(pings).to.deep.equal(['ping!']);
      await echo.off('pinged', listener);
      await echo.property('counter').set(5);
      expect(await echo.property('counter').get()).to.equal(5);
      const error = await rejection(echo.call('fail', 'boom'), RemoteError);
      expect(error.message).to.contain('boom');
      await rejection(connection.service('NoSuchService'), ServiceNotFoundError);
      // The directory's own signals reach a client too.
      const added: unknown[] = [];
      const removed: unknown[] = [];
      await connection.directory.on('serviceAdded', (id, name) => added.push([id, name]));
      await connection.directory.on('serviceRemoved', (id, name) => removed.push([id, name]));
      const zoo2 = await startPeer('qi_zoo_service', [sdUrl], { env: { QI_ZOO_NAME: 'Zoo2' } });
      peers.push(zoo2);
      await eventually(() => added.length === 1, 10_000, 'serviceAdded');
      expect(added).to.deep.equal([[3, 'Zoo2']]);
      await zoo2.stop();
      await eventually(() => removed.length === 1, 10_000, 'serviceRemoved');
      expect(removed).to.deep.equal([[3, 'Zoo2']]);
      expect(await echo.call('echo', 'still here')).to.equal('still here');
    } finally {
      await connection.close();
    }
  });
});

describe('libqi client: authentication against qi_sd --auth', function () {
  this.timeout(30_000);
  const peers: PeerProcess[] = [];
  let tokenUrl: string;
  let challengeUrl: string;

  before(async function () {
    skipWithoutPeer(this);
    const tokenPort = await freePort();
    const challengePort = await freePort();
    tokenUrl = `tcp://127.0.0.1:${tokenPort}`;
    challengeUrl = `tcp://127.0.0.1:${challengePort}`;
    peers.push(await startPeer('qi_sd', ['--auth=token', '--user=alice', '--token=s3cret', tokenUrl], { port: tokenPort }));
    peers.push(await startPeer('qi_sd', ['--auth=challenge', '--user=alice', '--token=s3cret', challengeUrl], { port: challengePort }));
  });

  after(async () => {
    for (const peer of peers.reverse()) await peer.stop();
  });

  it('passes with the right token and is refused with UnauthorizedError on a wrong one or none', async () => {
    const connection = await connectLibqi(tokenUrl, { credentials: { user: 'alice', token: 's3cret' } });
    expect((await connection.services()).map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
    await connection.close();
    await rejection(connectLibqi(tokenUrl, { credentials: { user: 'alice', token: 'wrong' } }), UnauthorizedError);
    await rejection(connectLibqi(tokenUrl, { credentials: { user: 'mallory', token: 's3cret' } }), UnauthorizedError);
    await rejection(connectLibqi(tokenUrl), UnauthorizedError);
  });

  it('answers the two-step challenge (state 2 Continue), and is refused when the answer is wrong', async () => {
    const answer = (token: string) => (challenge: Record<string, unknown>) => ({
      user: 'alice',
      response: createHash('sha256').update(`${String(challenge.challenge)}${token}`).digest('hex'),
    });
    const connection = await connectLibqi(challengeUrl, { credentials: { user: 'alice' }, answerChallenge: answer('s3cret') });
    expect((await connection.services()).map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
    await connection.close();
    const refused = await rejection(connectLibqi(challengeUrl, { credentials: { user: 'alice' }, answerChallenge: answer('wrong') }), UnauthorizedError);
    expect(refused.message).to.match(/refused|closed/);
    const noAnswer = await rejection(connectLibqi(challengeUrl, { credentials: { user: 'alice' } }), UnauthorizedError);
    expect(noAnswer.message).to.contain('answerChallenge');
  });
});

/**
 * qimessaging's libqi service side against the real libqi: a qimessaging "Echo" registered with the kit's `qi_sd`
 * and driven by the kit's `qi_client demo`; a qimessaging "Zoo" checked by the kit's `qi_zoo_client` (112 checks,
 * each reported); the same Zoo through qimessaging's own libqi client (cancellation, objects, signals).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/service-side.spec.ts
 */
import { expect } from 'chai';
import { CanceledError, UnauthorizedError } from '../../lib/protocol/errors.js';
import { connectLibqi, createLibqiService, property, signal, withSignature, type LibqiService } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { echoImplementation } from './echo-impl.js';
import { freePort, runPeer, runQiClientDemo, skipWithoutPeer, startPeer, type PeerProcess } from './peer.js';
import { zooImplementation } from './zoo-impl.js';

describe('libqi service side: qimessaging services served to the real libqi', function () {
  this.timeout(60_000);
  let sd: PeerProcess | undefined;
  let sdUrl: string;
  const services: LibqiService[] = [];

  before(async function () {
    skipWithoutPeer(this);
    const port = await freePort();
    sdUrl = `tcp://127.0.0.1:${port}`;
    sd = await startPeer('qi_sd', [sdUrl], { port });
    services.push(await createLibqiService('Echo', echoImplementation({ withSignature, signal, property }), { directory: sdUrl }));
    services.push(await createLibqiService('Zoo', zooImplementation(), { directory: sdUrl }));
  });

  after(async () => {
    for (const service of services) await service.close();
    await sd?.stop();
  });

  it('registers with the libqi directory: serviceId, endpoint, machineId and processId as libqi sends them', async () => {
    const connection = await connectLibqi(sdUrl);
    try {
      const infos = await connection.services();
      expect(infos.map((s) => s.name)).to.deep.equal(['ServiceDirectory', 'Echo', 'Zoo']);
      const echo = infos.find((s) => s.name === 'Echo')!;
      expect(echo.serviceId).to.equal(services[0]!.serviceId);
      expect(echo.processId).to.equal(process.pid);
      expect(echo.endpoints).to.include(services[0]!.endpoints[0]);
      expect(echo.machineId).to.equal(await connection.directory.call('machineId'));
    } finally {
      await connection.close();
    }
  });

  it("passes the kit's qi_client demo against a qimessaging Echo (exit 0)", async () => {
    const { code, output } = await runQiClientDemo(sdUrl);
    for (const line of output.split('\n').filter((l) => /->|^services|^connected/.test(l) && !l.startsWith('method '))) console.log(`      ${line}`);
    expect(output).to.include('echo -> hello');
    expect(output).to.include('add -> 42');
    expect(output).to.include('split -> 3 parts');
    expect(output).to.include('echoValue -> signature {sm}');
    expect(output).to.include('event pinged -> ping!');
    expect(output).to.include('counter -> 5');
    expect(output).to.include('fail -> error: boom');
    expect(output).to.include('signal 106 pinged (s)');
    expect(output).to.include('property 107 counter i');
    expect(code, output).to.equal(0);
  });

  it("passes the kit's qi_zoo_client against a qimessaging Zoo: every check reported, none failed", async () => {
    const { code, output } = await runPeer('qi_zoo_client', [sdUrl, 'Zoo'], { timeout: 45_000 });
    const lines = output.split('\n').filter((l) => l.startsWith('ok ') || l.startsWith('FAIL '));
    const failed = lines.filter((l) => l.startsWith('FAIL '));
    console.log(`      qi_zoo_client: ${lines.length - failed.length} ok, ${failed.length} failed`);
    for (const line of failed) console.log(`      ${line}`);
    expect(failed, failed.join('\n')).to.deep.equal([]);
    expect(lines).to.have.length(112);
    expect(output).to.include('summary: 112 ok, 0 failed');
    expect(code).to.equal(0);
  });

  it("answers qimessaging's own libqi client: overloads, an object returned as 'o', signals, a canceled call", async () => {
    const connection = await connectLibqi(sdUrl);
    try {
      const zoo = await connection.service('Zoo');
      expect(await zoo.call('sum', 40, 2)).to.equal(42);
      expect(await zoo.call('sum', 1.25, 2.5)).to.equal(3.75);
      expect(await zoo.call('sum', [1, 2, 3])).to.equal(6);
      const greeter = (await zoo.call('makeGreeter', 'Hi ')) as { call(name: string, ...args: unknown[]): Promise<unknown> };
      expect(await greeter.call('greet', 'you')).to.equal('Hi you');
      const ints: unknown[] = [];
      await zoo.on('sigInt', (v) => void ints.push(v));
      await zoo.call('emitAll');
      await eventually(() => ints.length === 1, 2_000, 'sigInt');
      expect(ints).to.deep.equal([42]);
      const before = (await zoo.call('cancelledCount')) as number;
      const abort = new AbortController();
      const sleeping = zoo.with({ signal: abort.signal }).call('sleep', 10_000);
      setTimeout(() => abort.abort(), 100);
      await rejection(sleeping, CanceledError);
      // The service's signal aborts when the Cancel arrives, just before its Canceled is sent.
      expect(await zoo.call('cancelledCount')).to.equal(before + 1);
    } finally {
      await connection.close();
    }
  });
});

describe('libqi service side: registering with a libqi directory that requires a token', function () {
  this.timeout(60_000);
  let sd: PeerProcess | undefined;
  let sdUrl: string;

  before(async function () {
    skipWithoutPeer(this);
    const port = await freePort();
    sdUrl = `tcp://127.0.0.1:${port}`;
    sd = await startPeer('qi_sd', ['--auth=token', '--user=alice', '--token=s3cret', sdUrl], { port });
  });

  after(async () => {
    await sd?.stop();
  });

  it('registers with the right credentials (qi_zoo_client, logged in, passes), and is refused with UnauthorizedError otherwise', async () => {
    const zoo = await createLibqiService('Zoo', zooImplementation(), { directory: sdUrl, credentials: { user: 'alice', token: 's3cret' } });
    try {
      const { code, output } = await runPeer('qi_zoo_client', ['--user=alice', '--token=s3cret', sdUrl, 'Zoo'], { timeout: 45_000 });
      expect(output).to.include('summary: 112 ok, 0 failed');
      expect(code).to.equal(0);
    } finally {
      await zoo.close();
    }
    await rejection(createLibqiService('Zoo', zooImplementation(), { directory: sdUrl, credentials: { user: 'alice', token: 'wrong' } }), UnauthorizedError);
  });
});

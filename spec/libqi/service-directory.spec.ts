/**
 * qimessaging's libqi ServiceDirectory, spoken to by the real libqi: the kit's `qi_echo_service` registers with it
 * and the kit's `qi_client demo` finds and drives Echo through it; a qimessaging Zoo registers with it and the
 * kit's `qi_zoo_client` passes its checks through it; and, without the kit, qimessaging's own libqi client and
 * services against it (listing, pending until serviceReady, serviceAdded/Removed, a closed link's services dropped,
 * a name registered once).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/service-directory.spec.ts
 */
import { expect } from 'chai';
import { RemoteError, ServiceNotFoundError } from '../../lib/protocol/errors.js';
import { connectLibqi, createLibqiService, createLibqiServiceDirectory, property, signal, withSignature, type LibqiServiceDirectory } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { echoImplementation } from './echo-impl.js';
import { freePort, runPeer, runQiClientDemo, skipWithoutPeer, startPeer, type PeerProcess } from './peer.js';
import { zooImplementation } from './zoo-impl.js';

describe('libqi ServiceDirectory (qimessaging) with qimessaging libqi clients and services', function () {
  this.timeout(20_000);
  let sd: LibqiServiceDirectory;

  beforeEach(async () => {
    sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0' });
  });

  afterEach(async () => {
    await sd.close();
  });

  it('lists itself as service 1, registers a service (pending until serviceReady), emits serviceAdded and serviceRemoved', async () => {
    const client = await connectLibqi(sd.url);
    try {
      expect((await client.services()).map((s) => [s.serviceId, s.name, s.endpoints])).to.deep.equal([[1, 'ServiceDirectory', [sd.url]]]);
      const events: unknown[] = [];
      await client.directory.on('serviceAdded', (id, name) => void events.push(['added', id, name]));
      await client.directory.on('serviceRemoved', (id, name) => void events.push(['removed', id, name]));
      const echo = await createLibqiService('Echo', echoImplementation({ withSignature, signal, property }), { directory: sd.url });
      expect(echo.serviceId).to.equal(2);
      await eventually(() => events.length === 1, 2_000, 'serviceAdded');
      const proxy = await client.service('Echo');
      expect(await proxy.call('add', 40, 2)).to.equal(42);
      await echo.close();
      await eventually(() => events.length === 2, 2_000, 'serviceRemoved');
      expect(events).to.deep.equal([['added', 2, 'Echo'], ['removed', 2, 'Echo']]);
      await rejection(client.service('Echo'), ServiceNotFoundError);
    } finally {
      await client.close();
    }
  });

  it("refuses a second registration of a name with libqi's text, hides a pending one, drops a closed link's services, never reuses ids", async () => {
    const client = await connectLibqi(sd.url);
    const registrar = await connectLibqi(sd.url);
    try {
      const info = { name: 'Pending', serviceId: 0, machineId: 'm', processId: 1, endpoints: ['tcp://127.0.0.1:1'], sessionId: 's', objectUid: new Uint8Array(20) };
      const id = (await registrar.directory.call('registerService', info)) as number;
      expect((await client.services()).map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
      const refused = await rejection(registrar.directory.call('registerService', info), RemoteError);
      expect(refused.message).to.include(`Service "Pending" (#${id}) is already registered`);
      await registrar.directory.call('serviceReady', id);
      expect((await client.services()).map((s) => s.name)).to.deep.equal(['ServiceDirectory', 'Pending']);
      await registrar.close();
      await eventually(() => sd.services().length === 1, 2_000, 'the closed link’s service dropped');
      const again = await connectLibqi(sd.url);
      try {
        expect(await again.directory.call('registerService', info)).to.equal(id + 1);
      } finally {
        await again.close();
      }
      expect(await client.directory.call('machineId')).to.equal(sd.machineId);
    } finally {
      await registrar.close();
      await client.close();
    }
  });
});

describe('libqi ServiceDirectory (qimessaging) spoken to by the real libqi', function () {
  this.timeout(60_000);
  let sd: LibqiServiceDirectory | undefined;
  const peers: PeerProcess[] = [];

  before(async function () {
    skipWithoutPeer(this);
    sd = await createLibqiServiceDirectory({ listen: `tcp://127.0.0.1:${await freePort()}` });
  });

  after(async () => {
    for (const peer of peers.reverse()) await peer.stop();
    await sd?.close();
  });

  it("registers the kit's qi_echo_service, and the kit's qi_client demo passes through it (exit 0)", async () => {
    const echoPort = await freePort();
    peers.push(await startPeer('qi_echo_service', [sd!.url, `tcp://127.0.0.1:${echoPort}`], { port: echoPort }));
    await eventually(() => sd!.services().some((s) => s.name === 'Echo'), 10_000, 'Echo registered');
    const echo = sd!.services().find((s) => s.name === 'Echo')!;
    expect(echo.endpoints).to.include(`tcp://127.0.0.1:${echoPort}`);
    const { code, output } = await runQiClientDemo(sd!.url);
    for (const line of output.split('\n').filter((l) => l.includes(' -> ') && !l.startsWith('method '))) console.log(`      ${line}`);
    expect(output).to.include('services: [1]ServiceDirectory [2]Echo');
    expect(output).to.include('fail -> error: boom');
    expect(code, output).to.equal(0);
  });

  it("registers the kit's qi_zoo_service, and the kit's qi_zoo_client passes all 112 checks through it", async () => {
    const zooPort = await freePort();
    const zoo = await startPeer('qi_zoo_service', [sd!.url, `tcp://127.0.0.1:${zooPort}`], { port: zooPort, env: { QI_ZOO_NAME: 'LibqiZoo' } });
    try {
      await eventually(() => sd!.services().some((s) => s.name === 'LibqiZoo'), 10_000, 'LibqiZoo registered');
      const { code, output } = await runPeer('qi_zoo_client', [sd!.url, 'LibqiZoo'], { timeout: 45_000 });
      expect(output).to.include('summary: 112 ok, 0 failed');
      expect(code).to.equal(0);
    } finally {
      await zoo.stop();
    }
    await eventually(() => !sd!.services().some((s) => s.name === 'LibqiZoo'), 5_000, 'LibqiZoo dropped with its link');
  });

  it("serves a qimessaging Zoo registered with it to the kit's qi_zoo_client (every check reported, none failed)", async () => {
    const zoo = await createLibqiService('Zoo', zooImplementation(), { directory: sd!.url });
    try {
      const { code, output } = await runPeer('qi_zoo_client', [sd!.url, 'Zoo'], { timeout: 45_000 });
      const lines = output.split('\n').filter((l) => l.startsWith('ok ') || l.startsWith('FAIL '));
      const failed = lines.filter((l) => l.startsWith('FAIL '));
      console.log(`      qi_zoo_client through a qimessaging directory: ${lines.length - failed.length} ok, ${failed.length} failed`);
      for (const line of failed) console.log(`      ${line}`);
      expect(failed, failed.join('\n')).to.deep.equal([]);
      expect(lines).to.have.length(112);
      expect(code).to.equal(0);
    } finally {
      await zoo.close();
    }
  });
});

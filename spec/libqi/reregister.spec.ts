/**
 * A qimessaging service served to libqi registers again by itself when its directory link drops: the kit's qi_sd
 * killed (SIGKILL) and started again on the same port. The kit's qi_client demo passes before and after; a libqi
 * client linked to the service before goes on calling it meanwhile (its link is direct).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/reregister.spec.ts
 */
import { expect } from 'chai';
import { connectLibqi, createLibqiService, createLibqiServiceDirectory, property, signal, withSignature } from '../../lib/index.js';
import { eventually } from '../helpers.js';
import { echoImplementation } from './echo-impl.js';
import { freePort, runQiClientDemo, peersOfEachTest, startPeer } from './peer.js';

async function listed(sdUrl: string, name: string): Promise<boolean> {
  const connection = await connectLibqi(sdUrl, { connectTimeout: 2_000 }).catch(() => undefined);
  if (!connection) return false;
  try {
    return (await connection.services()).some((s) => s.name === name);
  } finally {
    await connection.close();
  }
}

describe('libqi serving side: registering again after the directory link drops', function () {
  this.timeout(60_000);
  const peers = peersOfEachTest();

  it("qi_sd killed and started again on its port: Echo is registered again, qi_client demo passes, an earlier client's link goes on", async () => {
    const port = await freePort();
    const sdUrl = `tcp://127.0.0.1:${port}`;
    const firstSd = await startPeer('qi_sd', [sdUrl], { port });
    peers.push(firstSd);
    // Slow to come back, so that another service takes Echo's old id at the new directory first.
    const echo = await createLibqiService('Echo', echoImplementation({ withSignature, signal, property }), { directory: sdUrl, reregister: { initialDelayMs: 2_000, jitter: 0 } });
    const firstId = echo.serviceId;
    const earlier = await connectLibqi(sdUrl);
    try {
      const before = await runQiClientDemo(sdUrl);
      expect(before.code, before.output).to.equal(0);
      const earlierEcho = await earlier.service('Echo');
      firstSd.child.kill('SIGKILL');
      await new Promise((resolve) => firstSd.child.once('exit', resolve));
      // While there is no directory, the service stays up for the clients linked to it.
      expect(await earlierEcho.call('echo', 'no directory')).to.equal('no directory');
      peers.push(await startPeer('qi_sd', [sdUrl], { port }));
      peers.push(await startPeer('qi_zoo_service', [sdUrl], { env: { QI_ZOO_NAME: 'Zoo2' } }));
      const deadline = Date.now() + 10_000;
      while (!(await listed(sdUrl, 'Zoo2')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await eventually(() => echo.reregistrations === 1, 15_000, 'Echo registered again');
      expect(echo.serviceId).to.not.equal(firstId);
      expect([...echo.formerServiceIds]).to.deep.equal([firstId]);
      expect(await listed(sdUrl, 'Echo')).to.equal(true);
      expect(echo.directoryError).to.equal(undefined);
      const after = await runQiClientDemo(sdUrl);
      expect(after.output).to.include('fail -> error: boom');
      expect(after.code, after.output).to.equal(0);
      // The earlier client still addresses Echo by its first id, which the service keeps answering to.
      expect(await earlierEcho.call('echo', 'after')).to.equal('after');
    } finally {
      await earlier.close();
      await echo.close();
    }
  });

  it('closed while registering again, it does not unregister the id it had at the lost directory (another service holds it now)', async () => {
    const port = await freePort();
    const sdUrl = `tcp://127.0.0.1:${port}`;
    const firstSd = await createLibqiServiceDirectory({ listen: sdUrl });
    const echo = await createLibqiService('Echo', echoImplementation({ withSignature, signal, property }), { directory: sdUrl, reregister: { initialDelayMs: 300, jitter: 0 } });
    const lostConnection = (echo as unknown as { connection: unknown }).connection;
    const firstId = echo.serviceId;
    await firstSd.close();
    // The new directory numbers from scratch: Zoo2, registered first, takes Echo's old id.
    const secondSd = await createLibqiServiceDirectory({ listen: sdUrl });
    const zoo = await createLibqiService('Zoo2', echoImplementation({ withSignature, signal, property }), { directory: sdUrl });
    try {
      expect(zoo.serviceId).to.equal(firstId);
      // Closed once Echo's new directory link is up, its registration under way.
      // Polled every turn, so that the close comes before the directory's answers (a setTimeout poll could miss them).
      const deadline = Date.now() + 10_000;
      while ((echo as unknown as { connection: unknown }).connection === lostConnection && Date.now() < deadline) await new Promise(setImmediate);
      await echo.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await listed(sdUrl, 'Zoo2')).to.equal(true);
    } finally {
      await echo.close();
      await zoo.close();
      await secondSd.close();
    }
  });

  it('with reregister: false it stays unregistered after the loss', async () => {
    const port = await freePort();
    const sdUrl = `tcp://127.0.0.1:${port}`;
    const firstSd = await startPeer('qi_sd', [sdUrl], { port });
    peers.push(firstSd);
    const echo = await createLibqiService('Echo', echoImplementation({ withSignature, signal, property }), { directory: sdUrl, reregister: false });
    try {
      await firstSd.stop();
      peers.push(await startPeer('qi_sd', [sdUrl], { port }));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await listed(sdUrl, 'Echo')).to.equal(false);
      expect(echo.reregistrations).to.equal(0);
    } finally {
      await echo.close();
    }
  });
});

/**
 * Bounds on the links a libqi directory or service accepts (`maxLinks`, `maxLinksPerAddress`, as a native
 * listener's): one link past a bound is answered `LimitExceeded: …` and closed, which qimessaging's libqi client
 * reports as LimitExceededError; a closed link frees its place. With the kit: libqi's own client is refused too.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/link-limits.spec.ts
 */
import { expect } from 'chai';
import net from 'node:net';
import { ConnectionLostError, LimitExceededError } from '../../lib/protocol/errors.js';
import { connectLibqi, createLibqiService, createLibqiServiceDirectory, property, signal, withSignature, type LibqiConnection } from '../../lib/index.js';
import { eventually, rejection } from '../helpers.js';
import { echoImplementation } from './echo-impl.js';
import { peerPresent, runPeer, runQiClientDemo } from './peer.js';

describe('libqi serving side: bounds on links', function () {
  this.timeout(30_000);

  it('a directory with maxLinks 2 refuses a third link with LimitExceeded, and admits one again once a link closed', async () => {
    const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0', maxLinks: 2 });
    const open: LibqiConnection[] = [];
    try {
      open.push(await connectLibqi(sd.url), await connectLibqi(sd.url));
      const refused = await rejection(connectLibqi(sd.url), LimitExceededError);
      expect(refused.message).to.include('at most 2 links');
      expect(sd.admission.refused).to.equal(1);
      // The two admitted links are unharmed.
      for (const connection of open) expect((await connection.services()).map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
      await open.shift()!.close();
      await eventually(() => sd.admission.open === 1, 5_000, 'the closed link to be counted out');
      open.push(await connectLibqi(sd.url));
    } finally {
      for (const connection of open) await connection.close();
      await sd.close();
    }
  });

  it('a flood of silent links past the bound is closed, not held open waiting to be told', async () => {
    const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0', maxLinks: 1 });
    const admitted = await connectLibqi(sd.url);
    const { port } = new URL(sd.url);
    const sockets: net.Socket[] = [];
    try {
      let closed = 0;
      for (let i = 0; i < 100; i++) {
        const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
        socket.on('error', () => {}).on('close', () => closed++);
        sockets.push(socket);
      }
      // At most 64 refused links wait (2 s) for a message to answer; the other 36 are closed at once.
      await eventually(() => closed >= 36, 1_500, 'the links past the waiting bound to be closed');
      await eventually(() => closed === 100, 5_000, 'every refused link to be closed by its deadline');
      expect(sd.admission.refused).to.equal(100);
      expect((await admitted.services()).map((s) => s.name)).to.deep.equal(['ServiceDirectory']);
    } finally {
      for (const socket of sockets) socket.destroy();
      await admitted.close();
      await sd.close();
    }
  });

  it('a service with maxLinksPerAddress 1 serves one client from 127.0.0.1 and refuses the second', async () => {
    const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0' });
    const echo = await createLibqiService('Echo', echoImplementation({ withSignature, signal, property }), { directory: sd.url, maxLinksPerAddress: 1 });
    const first = await connectLibqi(sd.url);
    const second = await connectLibqi(sd.url);
    try {
      expect(await (await first.service('Echo')).call('echo', 'one')).to.equal('one');
      const refused = await rejection(second.service('Echo'), ConnectionLostError);
      expect(refused.message).to.include('at most 1 links from one address');
      expect(echo.admission.refused).to.equal(1);
      if (peerPresent()) {
        // libqi's own client, refused at the service: its demo cannot make a call.
        const { code, output } = await runQiClientDemo(sd.url);
        expect(code, output).to.not.equal(0);
      }
      await first.close();
      await eventually(() => echo.admission.open === 0, 5_000, 'the first link to be counted out');
      expect(await (await second.service('Echo')).call('echo', 'two')).to.equal('two');
    } finally {
      await first.close();
      await second.close();
      await echo.close();
      await sd.close();
    }
  });

  it("the kit's qi_zoo_client at a full directory is refused (exit 2) and the directory keeps serving the link it has", async function () {
    if (!peerPresent()) this.skip();
    const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0', maxLinks: 1 });
    const held = await connectLibqi(sd.url);
    try {
      const { code, output } = await runPeer('qi_zoo_client', ['--list', sd.url, 'ServiceDirectory'], { timeout: 20_000 });
      expect(code, output).to.equal(2);
      expect(await held.directory.call('machineId')).to.equal(sd.machineId);
    } finally {
      await held.close();
      await sd.close();
    }
  });
});

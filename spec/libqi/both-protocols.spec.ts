/**
 * One implementation object served to both protocols at once: natively (createService, CBOR) and to libqi
 * (createLibqiService): calls reach the same state, a signal reaches subscribers of both, a property set from
 * one side is seen from the other. No peer needed (qimessaging's own libqi directory and client).
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/both-protocols.spec.ts
 */
import { expect } from 'chai';
import {
  connect,
  connectLibqi,
  createLibqiService,
  createLibqiServiceDirectory,
  createService,
  createServiceDirectory,
  property,
  signal,
  withSignature,
} from '../../lib/index.js';
import { eventually } from '../helpers.js';

describe('one implementation served natively and to libqi at once', function () {
  this.timeout(20_000);

  it('shares state, signals and properties between a native client and a libqi client', async () => {
    let calls = 0;
    const impl = {
      bump: withSignature('()->i', () => ++calls),
      said: withSignature('(s)', signal<[string]>()),
      say: withSignature('(s)->v', (text: string) => impl.said.emit(text)),
      volume: withSignature('i', property(50)),
    };
    const nativeDirectory = await createServiceDirectory({ listen: ['memory://both-sd'] });
    const native = await createService('talker', impl, { directory: 'memory://both-sd', listen: ['memory://both-talker'] });
    const libqiDirectory = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:0' });
    const served = await createLibqiService('talker', impl, { directory: libqiDirectory.url });
    const conn = await connect('memory://both-talker'); // the service's own endpoint (no gateway)
    const robot = await connectLibqi(libqiDirectory.url);
    try {
      const nativeClient = await conn.service('talker');
      const libqiClient = await robot.service('talker');
      expect(await nativeClient.call('bump')).to.equal(1);
      expect(await libqiClient.call('bump')).to.equal(2);
      const heard: string[] = [];
      await nativeClient.on('said', (text) => void heard.push(`native ${String(text)}`));
      await libqiClient.on('said', (text) => void heard.push(`libqi ${String(text)}`));
      await libqiClient.call('say', 'hi');
      await eventually(() => heard.length === 2, 2_000, 'both subscribers');
      expect(heard.sort()).to.deep.equal(['libqi hi', 'native hi']);
      await nativeClient.property('volume').set(70);
      expect(await libqiClient.property('volume').get()).to.equal(70);
      await libqiClient.property('volume').set(20);
      expect(await nativeClient.property('volume').get()).to.equal(20);
    } finally {
      await robot.close();
      await conn.close();
      await served.close();
      await libqiDirectory.close();
      await native.close();
      await nativeDirectory.close();
    }
  });
});

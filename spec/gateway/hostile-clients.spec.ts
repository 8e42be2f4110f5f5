/**
 * Hostile clients and dying services at a gateway, through the fake transport: one link or one binding
 * suffers, the gateway and its other clients go on.
 */
import { expect } from 'chai';
import {
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  ServiceGoneError,
} from '../../lib/index.js';
import { encodeFrame, MessageType } from '../../lib/protocol/header.js';
import type { FakeLink } from '../../lib/testing/index.js';
import { capabilityFrame, rejection, withFakeTransport } from '../helpers.js';
import { within } from '../e2e/topology.js';

const capability = capabilityFrame;

describe('a gateway among hostile peers', () => {
  const harness = withFakeTransport();

  it('sends garbage to a gateway loses its own link only; other clients of the gateway are untouched', async () => {
    const directory = await createServiceDirectory({ transports: harness.transports, listen: ['memory://hostile-sd'] });
    harness.opened.push(directory);
    const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports: harness.transports, directory: directory.url });
    harness.opened.push(service);
    const gateway = await createGateway({ transports: harness.transports, directory: directory.url, listen: ['fake://gateway'] });
    harness.opened.push(gateway);
    const good = await connect('fake://gateway', { transports: harness.transports });
    harness.opened.push(good);
    const calc = await good.service('calc');
    const hostile = (await harness.fake.connect(new URL('fake://gateway'))) as FakeLink;
    const hostileClosed = new Promise((resolve) => hostile.onClose(resolve));
    hostile.send(capability());
    hostile.peer!.injectBytes(encodeFrame({ id: 1, type: MessageType.Call, channel: 0, object: 0, action: 1 }, new Uint8Array(0)).map((b, i) => (i < 4 ? 0 : b)));
    await within(hostileClosed, 1_000, 'the hostile link to be closed');
    expect(hostile.peer!.closed).to.equal(true);
    expect(await calc.call('add', 2, 2)).to.equal(4);
    expect(gateway.actor.getSnapshot().value).to.equal('ready');
  });

  it('fails a gateway bind with ServiceGone when the service link dies mid-call', async () => {
    const directory = await createServiceDirectory({ transports: harness.transports, listen: ['memory://gone-sd'] });
    harness.opened.push(directory);
    const service = await createService('stuck', { hang: () => new Promise(() => {}) }, { transports: harness.transports, directory: directory.url, listen: ['fake://stuck'] });
    harness.opened.push(service);
    const gateway = await createGateway({ transports: harness.transports, directory: directory.url, listen: ['memory://gone-gw'] });
    harness.opened.push(gateway);
    const connection = await connect('memory://gone-gw', { transports: harness.transports });
    harness.opened.push(connection);
    const stuck = await connection.service('stuck');
    const failure = rejection(stuck.call('hang'), ServiceGoneError);
    const gatewayToService = harness.fake.links.find((l) => l.remote === 'fake://stuck')!;
    gatewayToService.drop();
    await within(failure, 1_000, 'the pending call');
  });
});

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
  TransportRegistry,
  MemoryTransport,
} from '../../lib/index.js';
import { CONTROL_CHANNEL, localCapability } from '../../lib/protocol/control.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { encodeFrame, MessageType } from '../../lib/protocol/header.js';
import { FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { rejection } from '../helpers.js';
import { within } from '../e2e/topology.js';

const capability = (id = 0): Uint8Array =>
  encodeMessage({ id, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, localCapability());

describe('a gateway among hostile peers', () => {
  let fake: FakeTransport;
  let transports: TransportRegistry;
  const opened: Array<{ close(): Promise<void> }> = [];

  beforeEach(() => {
    fake = new FakeTransport();
    transports = new TransportRegistry([fake, new MemoryTransport()]);
  });
  afterEach(async () => {
    for (const handle of opened.splice(0).reverse()) await handle.close();
  });

  it('sends garbage to a gateway loses its own link only; other clients of the gateway are untouched', async () => {
    const directory = await createServiceDirectory({ transports, listen: ['memory://hostile-sd'] });
    opened.push(directory);
    const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, directory: directory.url });
    opened.push(service);
    const gateway = await createGateway({ transports, directory: directory.url, listen: ['fake://gateway'] });
    opened.push(gateway);
    const good = await connect('fake://gateway', { transports });
    opened.push(good);
    const calc = await good.service('calc');
    const hostile = (await fake.connect(new URL('fake://gateway'))) as FakeLink;
    const hostileClosed = new Promise((resolve) => hostile.onClose(resolve));
    hostile.send(capability());
    hostile.peer!.injectBytes(encodeFrame({ id: 1, type: MessageType.Call, channel: 0, object: 0, action: 1 }, new Uint8Array(0)).map((b, i) => (i < 4 ? 0 : b)));
    await within(hostileClosed, 1_000, 'the hostile link to be closed');
    expect(hostile.peer!.closed).to.equal(true);
    expect(await calc.call('add', 2, 2)).to.equal(4);
    expect(gateway.actor.getSnapshot().value).to.equal('ready');
  });

  it('fails a gateway bind with ServiceGone when the service link dies mid-call', async () => {
    const directory = await createServiceDirectory({ transports, listen: ['memory://gone-sd'] });
    opened.push(directory);
    const service = await createService('stuck', { hang: () => new Promise(() => {}) }, { transports, directory: directory.url, listen: ['fake://stuck'] });
    opened.push(service);
    const gateway = await createGateway({ transports, directory: directory.url, listen: ['memory://gone-gw'] });
    opened.push(gateway);
    const connection = await connect('memory://gone-gw', { transports });
    opened.push(connection);
    const stuck = await connection.service('stuck');
    const failure = rejection(stuck.call('hang'), ServiceGoneError);
    const gatewayToService = fake.links.find((l) => l.remote === 'fake://stuck')!;
    gatewayToService.drop();
    await within(failure, 1_000, 'the pending call');
  });
});

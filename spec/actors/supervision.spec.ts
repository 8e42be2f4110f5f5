/**
 * XState has no supervision: an actor whose action throws is dead, and an unhandled child error puts its parent
 * in error too. These specs inject such faults and check that they cost one binding, never the gateway or the
 * connection.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { QiError } from '../../lib/index.js';
import { ClientChannel } from '../../lib/client/client-channel.js';
import { ForwardingRoute } from '../../lib/gateway/forwarding-route.js';
import { eventually, rejection } from '../helpers.js';
import { Topology } from '../e2e/topology.js';

describe('supervision', () => {
  let topology: Topology;

  beforeEach(async () => {
    topology = await Topology.start('gateway', 'memory');
    await topology.addService('calc', { add: (a: number, b: number) => a + b });
  });
  afterEach(async () => {
    sinon.restore();
    await topology.close();
  });

  it('survives a forwarder whose action throws: that bind fails, the gateway and other bindings go on', async () => {
    const connection = await topology.connectFor('calc');
    const healthy = await connection.service('calc');
    const install = sinon.stub(ForwardingRoute.prototype, 'install').callThrough();
    install.onFirstCall().throws(new Error('injected fault'));
    const error = await rejection(connection.service('calc'), QiError);
    expect(error.message).to.contain('injected fault');
    const gateway = topology.gateway!.actor.getSnapshot();
    expect(gateway.status).to.equal('active');
    expect(gateway.value).to.equal('ready');
    expect(topology.gateway!.forwarders.size, 'the failed forwarder is forgotten').to.equal(1);
    expect(await healthy.call('add', 1, 2)).to.equal(3);
    expect(await (await connection.service('calc')).call('add', 2, 2)).to.equal(4);
  });

  it('survives a client whose entry action throws: that client fails, the connection goes on', async () => {
    const connection = await topology.connectFor('calc');
    const healthy = await connection.service('calc');
    const setOwner = sinon.stub(ClientChannel.prototype, 'setOwner').callThrough();
    setOwner.onFirstCall().throws(new Error('injected fault'));
    const broken = await connection.service('calc').then(
      () => expect.fail('a client that failed entering bound must not be handed out'),
      (err: unknown) => err,
    );
    expect(broken).to.be.instanceOf(Error);
    expect(setOwner.firstCall.threw()).to.equal(true);
    expect(connection.actor.getSnapshot().status).to.equal('active');
    expect(connection.isOpen).to.equal(true);
    expect(await healthy.call('add', 1, 2)).to.equal(3);
    // The connection's session keeps the healthy client's channel only, and forgets it once it is closed.
    const session = connection.actor.getSnapshot().context.session;
    expect(session.channelCount).to.equal(1);
    await healthy.close();
    await eventually(() => session.channelCount === 0, 1_000, 'the closed client to be forgotten');
  });
});

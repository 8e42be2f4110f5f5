/**
 * Backpressure through the gateway: when a client stops reading, its link at the gateway congests, and the
 * gateway stops reading the service link that feeds it, instead of buffering without bound.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { connect, createGateway, createService, createServiceDirectory } from '../../lib/index.js';
import { TcpLink } from '../../lib/transports/tcp.js';
import { eventually } from '../helpers.js';

describe('gateway backpressure over TCP', function () {
  this.timeout(20_000);
  afterEach(() => sinon.restore());

  it('pauses the service link while a client does not read, and delivers everything once it does', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://backpressure-sd'] });
    const payload = new Uint8Array(1 << 20).fill(7);
    const service = await createService('bulk', { chunk: () => payload }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    const gateway = await createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    const connection = await connect(gateway.url);
    try {
      const bulk = await connection.service('bulk');
      const serviceUrl = service.endpoints[0]!;
      const pause = sinon.spy(TcpLink.prototype, 'pause');
      const clientSession = connection.actor.getSnapshot().context.session;
      clientSession.pause();
      let received = 0;
      const calls = Array.from({ length: 64 }, () => bulk.call('chunk').then(() => received++));
      // The gateway's link to the service (its remote is the service's endpoint) must get paused.
      await eventually(
        () => pause.thisValues.some((link) => (link as TcpLink).remote === serviceUrl),
        10_000,
        'the gateway to pause its service link',
      );
      expect(received).to.be.below(64);
      clientSession.resume();
      await Promise.all(calls);
      expect(received).to.equal(64);
    } finally {
      await connection.close();
      await gateway.close();
      await service.close();
      await directory.close();
    }
  });
});

/**
 * Backpressure through the gateway: when a client stops reading, its link at the gateway congests, and the
 * gateway stops reading that client's link (its calls), not the service link that every client of the service
 * shares; what it buffers for the client meanwhile is bounded by the link's maxBufferedBytes.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { connect, createGateway, createService, createServiceDirectory } from '../../lib/index.js';
import { TcpLink } from '../../lib/transports/tcp.js';
import { eventually } from '../helpers.js';

describe('gateway backpressure over TCP', function () {
  this.timeout(15_000);
  afterEach(() => sinon.restore());

  it("pauses a client's link while it does not read, never the service link, and delivers everything once it does", async () => {
    const directory = await createServiceDirectory({ listen: ['memory://backpressure-sd'] });
    const payload = new Uint8Array(1 << 20).fill(7);
    const service = await createService('bulk', { chunk: () => payload }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    const gateway = await createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    const connection = await connect(gateway.url);
    try {
      const bulk = await connection.service('bulk');
      const serviceUrl = service.endpoints[0]!;
      const [atGateway] = [...gateway.actor.getSnapshot().context.runtime.links.sessions];
      const pause = sinon.spy(TcpLink.prototype, 'pause');
      const clientSession = connection.actor.getSnapshot().context.session;
      clientSession.pause();
      let received = 0;
      const calls = Array.from({ length: 32 }, () => bulk.call('chunk').then(() => received++));
      await eventually(
        () => pause.thisValues.some((link) => (link as TcpLink).remote === atGateway!.remote),
        10_000,
        "the gateway to pause its link to the client that does not read",
      );
      expect(received).to.be.below(32);
      expect(atGateway!.bufferedBytes, 'what the gateway holds for it').to.be.at.most(64 << 20);
      expect(pause.thisValues.some((link) => (link as TcpLink).remote === serviceUrl), 'the service link paused').to.equal(false);
      clientSession.resume();
      await Promise.all(calls);
      expect(received).to.equal(32);
    } finally {
      await connection.close();
      await gateway.close();
      await service.close();
      await directory.close();
    }
  });
});

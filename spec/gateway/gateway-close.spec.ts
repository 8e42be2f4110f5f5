import net from 'node:net';
import { createGateway, createServiceDirectory } from '../../lib/index.js';
import { within } from '../e2e/topology.js';

describe('Gateway close over TCP', function () {
  this.timeout(10_000);

  it('completes even when a raw peer never closes its side of the socket', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://gateway-close-sd'] });
    const gateway = await createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    const { port } = new URL(gateway.url);
    // A peer that connects, says nothing, and keeps its half of the connection open after the gateway's FIN.
    const peer = net.connect({ host: '127.0.0.1', port: Number(port), allowHalfOpen: true });
    await new Promise((resolve) => peer.once('connect', resolve));
    const peerGotFin = new Promise((resolve) => peer.once('end', resolve));
    peer.on('error', () => {});
    try {
      // The gateway half-closes (FIN), waits a grace period for the peer, then destroys its socket; an idle
      // half-open peer hears nothing more until it writes, as TCP goes.
      await within(gateway.close(), 5_000, 'gateway.close()');
      await within(peerGotFin, 1_000, 'the FIN at the peer');
    } finally {
      peer.destroy();
      await directory.close();
    }
  });
});

import net from 'node:net';
import { expect } from 'chai';
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
    const peerClosed = new Promise((resolve) => peer.once('close', resolve));
    peer.on('error', () => {});
    const started = Date.now();
    await within(gateway.close(), 5_000, 'gateway.close()');
    await within(peerClosed, 5_000, 'the peer socket to be cut');
    expect(Date.now() - started).to.be.below(5_000);
    await directory.close();
  });
});

/**
 * End to end over TCP (in one process): a client that keeps calling a service through the gateway and never reads
 * its replies costs the gateway a bounded number of bytes: it is paused with what it has in flight held for it,
 * or cut off with LimitExceeded once that passes the link's limit; another client of the same service, on the same
 * shared service link, keeps being answered promptly.
 */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory, LimitExceededError } from '../../lib/index.js';
import type { Session } from '../../lib/session/session.js';
import { DEFAULT_MAX_BUFFERED_BYTES } from '../../lib/session/link-host.js';

const REPLY_SIZE = 64 << 10;
const PRESSURE_MS = 3_000;

describe('a slow consumer through the gateway over TCP', function () {
  this.timeout(15_000);

  it('costs the gateway a bounded number of bytes, and another client of the service keeps its latency', async () => {
    const directory = await createServiceDirectory({ listen: ['memory://slow-consumer-sd'] });
    const payload = new Uint8Array(REPLY_SIZE).fill(3);
    const service = await createService('bulk', { chunk: () => payload }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    const gateway = await createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    const clientLinks = gateway.actor.getSnapshot().context.runtime.links.sessions;
    const good = await connect(gateway.url);
    const known = new Set(clientLinks);
    const slow = await connect(gateway.url);
    try {
      const goodBulk = await good.service('bulk');
      const slowBulk = await slow.service('bulk');
      await goodBulk.call('chunk');

      // The slow client: its socket is not read, and it keeps calling (what its own limits allow).
      const slowAtClient = slow.actor.getSnapshot().context.session;
      const slowAtGateway: Session = [...clientLinks].find((session) => !known.has(session)) ?? expect.fail('the slow client at the gateway');
      slowAtClient.pause();
      let slowCalls = 0;
      let peakBuffered = 0;
      const deadline = Date.now() + PRESSURE_MS;
      const sampler = setInterval(() => (peakBuffered = Math.max(peakBuffered, slowAtGateway.bufferedBytes)), 2);
      const flood = (async () => {
        while (Date.now() < deadline && !slowAtGateway.isClosed) {
          for (let i = 0; i < 200; i++, slowCalls++) slowBulk.call('chunk').catch(() => {});
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();

      // The good client, meanwhile: one call after another.
      const latencies: number[] = [];
      while (Date.now() < deadline) {
        const start = performance.now();
        await goodBulk.call('chunk');
        latencies.push(performance.now() - start);
      }
      await flood;
      clearInterval(sampler);

      latencies.sort((a, b) => a - b);
      const p50 = latencies[Math.floor(latencies.length / 2)]!;
      expect(latencies.length, `good calls, all answered (p50 ${p50.toFixed(1)} ms)`).to.be.above(20);
      expect(p50, 'p50 of the good client, in ms').to.be.below(50);
      if (slowAtGateway.isClosed) {
        expect(slowAtGateway.reason, `the slow client's link at the gateway, after ${slowCalls} calls`).to.be.instanceOf(LimitExceededError);
      } else {
        expect(slowAtGateway.bufferedBytes, 'what the gateway holds for the paused slow client').to.be.at.most(DEFAULT_MAX_BUFFERED_BYTES);
      }
      expect(peakBuffered, 'the most the gateway held for the slow client').to.be.at.most(DEFAULT_MAX_BUFFERED_BYTES + REPLY_SIZE + 64);
      await goodBulk.call('chunk');
    } finally {
      await slow.close().catch(() => {});
      await good.close();
      await gateway.close();
      await service.close();
      await directory.close();
    }
  });
});

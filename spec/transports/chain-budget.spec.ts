/**
 * In-process links deliver on nextTick, but a chain of calls answered by calls must still let the event loop turn
 * (lib/transports/chain-budget.ts): timers, socket reads and other links' heartbeats wait for it otherwise.
 */
import { expect } from 'chai';
import { connect, createGateway, createService, createServiceDirectory } from '../../lib/index.js';
import { ClosedError, ConnectionLostError, type QiError } from '../../lib/protocol/errors.js';
import { encodeFrame, MessageType, readHeader } from '../../lib/protocol/header.js';
import { CHAIN_BUDGET_MS } from '../../lib/transports/chain-budget.js';
import { MemoryTransport } from '../../lib/transports/memory.js';
import type { Link } from '../../lib/transports/transport.js';

const busyFor = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('in-process links and the event loop', () => {
  it('let timers run during a burst of in-process calls through a gateway, every few milliseconds', async function () {
    this.timeout(20_000);
    const directory = await createServiceDirectory({ listen: ['memory://chain-sd'] });
    const gateway = await createGateway({ directory: directory.url, listen: ['memory://chain-gw'] });
    const service = await createService('echo', { echo: (value: unknown) => value }, { directory: directory.url });
    const connection = await connect(gateway.url);
    try {
      const echo = await connection.service('echo');
      let longestGap = 0;
      let last = performance.now();
      const probe = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      }, 2);
      // 500 callers, each calling again as soon as it is answered, for 600 ms: one unbroken chain of ticks.
      const until = performance.now() + 600;
      let calls = 0;
      const payload = Buffer.alloc(64, 7);
      await Promise.all(
        Array.from({ length: 500 }, async () => {
          while (performance.now() < until) {
            await echo.call('echo', payload);
            calls++;
          }
        }),
      );
      clearInterval(probe);
      // The wait since the probe last ran counts too: before, it did not run once during the burst.
      longestGap = Math.max(longestGap, performance.now() - last);
      expect(calls).to.be.greaterThan(1_000);
      // Before: the probe waited for the whole burst (~600 ms). Now a turn comes every CHAIN_BUDGET_MS or so; the
      // margin is for a collection or a slow CI machine.
      expect(longestGap).to.be.below(150);
    } finally {
      await connection.close();
      await service.close();
      await gateway.close();
      await directory.close();
    }
  });

  it('keeps frames in order, and before the close, when it makes a chain wait for the event loop', async () => {
    const transport = new MemoryTransport();
    let accept!: (link: Link) => void;
    const accepted = new Promise<Link>((resolve) => (accept = resolve));
    const listener = await transport.listen(new URL('memory://chain-order'), accept);
    const client = await transport.connect(new URL(listener.url));
    const server = await accepted;
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    let timerRanDuringChain = false;
    const received: number[] = [];
    const closed = new Promise<QiError>((resolve) => client.onClose(resolve));
    const frame = (id: number): Uint8Array => encodeFrame({ id, type: MessageType.Post, channel: 1, object: 1, action: 100 }, new Uint8Array(4));
    // A ping-pong of 60 frames, each answer after 1 ms of work: the chain passes its budget after ~CHAIN_BUDGET_MS.
    const rounds = 60;
    server.onFrame((bytes) => {
      const id = readHeader(bytes).id;
      busyFor(1);
      if (timerRan) timerRanDuringChain = true;
      if (id < rounds) {
        server.send(frame(id + 1));
        return;
      }
      // The last round: three more frames, then the close, all while the chain waits for the loop.
      server.send(frame(rounds + 1));
      server.send(frame(rounds + 2));
      server.send(frame(rounds + 3));
      server.close(new ClosedError('done'));
    });
    client.onFrame((bytes) => {
      const id = readHeader(bytes).id;
      received.push(id);
      if (id <= rounds) client.send(frame(id));
    });
    client.send(frame(0));
    const reason = await closed;
    expect(rounds).to.be.greaterThan(3 * CHAIN_BUDGET_MS);
    expect(timerRanDuringChain, 'a timer ran while the chain went on').to.equal(true);
    expect(received).to.deep.equal(Array.from({ length: rounds + 3 }, (_, i) => i + 1));
    // As over a socket, the other end learns that its peer closed, after every frame it sent.
    expect(reason).to.be.instanceOf(ConnectionLostError);
    await listener.close();
  });
});

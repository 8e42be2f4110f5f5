/**
 * A listener's own HTTP port drops connections that never finish their upgrade: ones that send nothing and ones
 * that trickle a header a byte at a time (hole 5 of the security review: 200 of them stayed open at least 95 s).
 * A good client connects beside them.
 */
import net from 'node:net';
import { expect } from 'chai';
import { connect, createService, TransportRegistry, WebSocketTransport, MemoryTransport } from '../../lib/index.js';

/** Resolves with how long the server took to close a raw socket that behaves as `behave` says. */
function timeToClose(port: number, behave: (socket: net.Socket) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1', () => behave(socket));
    socket.on('error', () => {});
    socket.on('close', () => resolve(performance.now() - started));
    setTimeout(() => reject(new Error('the server kept a half-finished upgrade open for 5 s')), 5_000).unref();
  });
}

describe('WebSocket listeners on their own port', () => {
  it('drop silent and trickling upgrades at upgradeTimeoutMs; a good client connects beside them', async function () {
    this.timeout(8_000);
    const transports = new TransportRegistry([new MemoryTransport(), new WebSocketTransport({ upgradeTimeoutMs: 300 })]);
    const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: ['ws://127.0.0.1:0/qi'] });
    const port = Number(new URL(service.endpoints[0]!).port);
    try {
      const silent = Array.from({ length: 10 }, () => timeToClose(port, () => {}));
      const trickling = Array.from({ length: 10 }, () =>
        timeToClose(port, (socket) => {
          const request = 'GET /qi HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Padding: ';
          socket.write(request);
          const timer = setInterval(() => socket.writable && socket.write('a'), 50);
          socket.on('close', () => clearInterval(timer));
        }),
      );
      const conn = await connect(service.endpoints[0]!, { transports });
      expect(await (await conn.service<{ add(a: number, b: number): number }>('calc')).add(2, 3)).to.equal(5);
      await conn.close();
      const times = await Promise.all([...silent, ...trickling]);
      for (const ms of times) expect(ms).to.be.within(250, 1_500);
    } finally {
      await service.close();
    }
  });

  it('leave an upgraded link alone however long it is idle', async () => {
    const transports = new TransportRegistry([new MemoryTransport(), new WebSocketTransport({ upgradeTimeoutMs: 200 })]);
    const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: ['ws://127.0.0.1:0/qi'], heartbeat: false });
    const conn = await connect(service.endpoints[0]!, { transports, heartbeat: false });
    try {
      const calc = await conn.service<{ add(a: number, b: number): number }>('calc');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await calc.add(1, 2)).to.equal(3);
    } finally {
      await conn.close();
      await service.close();
    }
  });
});

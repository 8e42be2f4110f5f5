/**
 * What every transport's links must do, written once and run on each transport; then what only TCP does
 * (one write per tick, hostile bytes, backpressure) and URL errors.
 */
import net from 'node:net';
import { expect } from 'chai';
import sinon from 'sinon';
import { ClosedError, ConnectionLostError, LimitExceededError, ProtocolError, TransportError, type QiError } from '../../lib/protocol/errors.js';
import { encodeFrame, MessageType, readHeader, writeU32 } from '../../lib/protocol/header.js';
import { FakeLink, FakeTransport } from '../../lib/testing/index.js';
import { MemoryTransport } from '../../lib/transports/memory.js';
import { defaultTransports } from '../../lib/transports/defaults.js';
import { TransportRegistry } from '../../lib/transports/registry.js';
import { TcpTransport } from '../../lib/transports/tcp.js';
import { WebSocketTransport } from '../../lib/transports/websocket.js';
import { NatsTransport } from '../../lib/transports/nats.js';
import { sharedNatsServer, type NatsServer, skipWithoutNatsServer } from '../nats-server.js';
import type { Link, Listener, ListenOptions, Transport } from '../../lib/transports/transport.js';
import { eventually } from '../helpers.js';

const frame = (id: number, size = 4): Uint8Array =>
  encodeFrame({ id, type: MessageType.Post, channel: 1, object: 1, action: 100 }, new Uint8Array(size).fill(id & 0xff));

interface Pair {
  client: Link;
  server: Link;
  listener: Listener;
}

async function pair(transport: Transport, listenUrl: string, options?: ListenOptions): Promise<Pair> {
  let accept!: (link: Link) => void;
  const accepted = new Promise<Link>((resolve) => (accept = resolve));
  const listener = await transport.listen(new URL(listenUrl), accept, options);
  const client = await transport.connect(new URL(listener.url));
  return { client, server: await accepted, listener };
}

function collect(link: Link): number[] {
  const ids: number[] = [];
  link.onFrame((f) => ids.push(readHeader(f).id));
  return ids;
}

let nats: NatsServer | undefined;

const TRANSPORTS: Array<{ name: string; make: () => Transport; url: () => string }> = [
  { name: 'memory', make: () => new MemoryTransport(), url: () => 'memory://links-spec' },
  { name: 'tcp', make: () => new TcpTransport(), url: () => 'tcp://127.0.0.1:0' },
  { name: 'fake', make: () => new FakeTransport(), url: () => 'fake://links-spec' },
  { name: 'ws', make: () => new WebSocketTransport(), url: () => 'ws://127.0.0.1:0/qi' },
  { name: 'nats', make: () => new NatsTransport(), url: () => `${nats!.url}/links-spec` },
];

for (const { name, make, url } of TRANSPORTS) {
  describe(`links (${name})`, () => {
    let transport: Transport;
    let p: Pair;
    if (name === 'nats') {
      before(async function () {
        skipWithoutNatsServer(this);
        nats = await sharedNatsServer();
      });
    }
    beforeEach(async () => {
      transport = make();
      p = await pair(transport, url());
    });
    afterEach(async () => {
      p.client.close();
      await p.listener.close();
    });

    it('carries frames both ways, in order, many per tick', async () => {
      const atServer = collect(p.server);
      const atClient = collect(p.client);
      for (let id = 1; id <= 500; id++) p.client.send(frame(id));
      p.server.send(frame(9000));
      await eventually(() => atServer.length === 500 && atClient.length === 1, 2_000, 'all frames');
      expect(atServer).to.deep.equal(Array.from({ length: 500 }, (_, i) => i + 1));
      expect(atClient).to.deep.equal([9000]);
    });

    it('delivers frames sent before close(), then tells each side how it closed', async () => {
      const atServer = collect(p.server);
      const reasons: { client?: QiError; server?: QiError } = {};
      p.client.onClose((reason) => (reasons.client = reason));
      p.server.onClose((reason) => (reasons.server = reason));
      p.client.send(frame(1));
      p.client.send(frame(2));
      p.client.close();
      p.client.close();
      await eventually(() => reasons.server !== undefined, 2_000, 'the server side to see the close');
      expect(atServer).to.deep.equal([1, 2]);
      expect(reasons.client).to.be.instanceOf(ClosedError);
      expect(reasons.server).to.be.instanceOf(ConnectionLostError);
    });

    it('drops a send after close, returning false and throwing nothing', () => {
      p.client.close();
      expect(p.client.send(frame(1))).to.equal(false);
      expect(p.client.closed).to.equal(true);
    });

    it('closes the links it accepted when the listener closes', async () => {
      let lost: QiError | undefined;
      p.client.onClose((reason) => (lost = reason));
      await p.listener.close();
      await eventually(() => lost !== undefined, 2_000, 'the client to see its link close');
      expect(lost).to.be.instanceOf(ConnectionLostError);
    });

    it('delivers nothing after pause(), not even the rest of one read, and the rest in order on resume()', async () => {
      const atServer: number[] = [];
      p.server.onFrame((f) => {
        atServer.push(readHeader(f).id);
        if (atServer.length === 1) p.server.pause();
      });
      for (let id = 1; id <= 50; id++) p.client.send(frame(id));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(atServer, 'the 49 frames that came in the same tick wait').to.deep.equal([1]);
      p.server.resume();
      await eventually(() => atServer.length === 50, 2_000, 'the frames held while paused');
      expect(atServer).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('counts what its peer has not read in bufferedBytes, and closes past maxBufferedBytes with LimitExceededError', async function () {
      this.timeout(10_000);
      const limited = await pair(transport, url().replace('links-spec', 'links-spec-limited'), { maxBufferedBytes: 1 << 20 });
      try {
        let reason: QiError | undefined;
        limited.server.onClose((r) => (reason = r));
        limited.client.pause();
        // A fake socket backs up only when told to; the others back up once the peer's buffers are full.
        if (limited.server instanceof FakeLink) limited.server.congest();
        let peak = 0;
        for (let sent = 0; !reason && sent < 4_096; sent++) {
          limited.server.send(frame(sent + 1, 64 << 10));
          peak = Math.max(peak, limited.server.bufferedBytes);
          if (sent % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
        }
        expect(reason, 'the limited link to close').to.be.instanceOf(LimitExceededError);
        expect(peak, 'what it held before closing').to.be.within(64 << 10, (1 << 20) + (64 << 10));
        expect(limited.server.closed).to.equal(true);
      } finally {
        limited.client.close();
        await limited.listener.close();
      }
    });

    it('fails a connect to nothing with a TransportError naming the URL', async () => {
      const target =
        name === 'tcp' ? 'tcp://127.0.0.1:1' : name === 'ws' ? 'ws://127.0.0.1:1/qi' : name === 'nats' ? `${nats!.url}/nobody-listens` : `${name}://nobody-listens`;
      let error: unknown;
      await transport.connect(new URL(target)).catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(TransportError);
      expect((error as Error).message).to.contain(new URL(target).host);
    });
  });
}

describe('TCP links', () => {
  const tcp = new TcpTransport();
  let p: Pair;
  beforeEach(async () => {
    p = await pair(tcp, 'tcp://127.0.0.1:0');
  });
  afterEach(async () => {
    sinon.restore();
    p.client.close();
    await p.listener.close();
  });

  it('writes the frames of one tick with a single socket write', async () => {
    const write = sinon.spy(net.Socket.prototype, 'write');
    const atServer = collect(p.server);
    for (let id = 1; id <= 100; id++) p.client.send(frame(id));
    await eventually(() => atServer.length === 100, 2_000, 'the frames');
    expect(write.callCount).to.equal(1);
    expect((write.firstCall.args[0] as Buffer).length).to.equal(100 * frame(1).length);
  });

  it('joins what one link is sent from many sockets\' reads in one event-loop iteration: one write, then one for the rest', async () => {
    // A gateway's upstream link: each client socket's read callback sends it one frame, and Node runs the ticks
    // after each callback. Ten callbacks of one event-loop phase stand in for ten reads: ten immediates.
    const atServer = collect(p.server);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const write = sinon.spy(net.Socket.prototype, 'write');
    for (let id = 1; id <= 10; id++) setImmediate(() => p.client.send(frame(id)));
    await eventually(() => atServer.length === 10, 2_000, 'the frames');
    expect(write.callCount).to.equal(2);
    expect((write.secondCall.args[0] as Buffer).length).to.equal(9 * frame(1).length);
  });

  it('does not hold back a large frame sent in the same event-loop iteration: each goes out at once', async () => {
    // A 32 KiB frame is a write worth its own syscall; holding it for the check phase cost 256 KiB echoes a fifth.
    const large = (id: number): Uint8Array => frame(id, 32 << 10);
    const atServer = collect(p.server);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const write = sinon.spy(net.Socket.prototype, 'write');
    for (let id = 1; id <= 4; id++) setImmediate(() => p.client.send(large(id)));
    await eventually(() => atServer.length === 4, 2_000, 'the frames');
    // Only writes of these frames count: another socket of the process (a NATS ping, say) may write meanwhile.
    const framesWritten = write.getCalls().filter((call) => (call.args[0] as Uint8Array).byteLength >= 32 << 10);
    expect(framesWritten.map((call) => (call.args[0] as Uint8Array).byteLength)).to.have.length(4);
  });

  it('closes a link that sends garbage with ProtocolError, and keeps another link of the same listener', async () => {
    let reason: QiError | undefined;
    p.server.onClose((r) => (reason = r));
    const other = await pair(tcp, 'tcp://127.0.0.1:0');
    const raw = net.connect({ host: '127.0.0.1', port: Number(new URL(p.listener.url).port) });
    await new Promise((resolve) => raw.once('connect', resolve));
    // The raw socket is a third link on the first listener; the first pair stays healthy too.
    raw.write(Buffer.alloc(64, 0xab));
    const rawClosed = new Promise((resolve) => raw.once('close', resolve));
    raw.on('error', () => {});
    await rawClosed;
    const atServer = collect(p.server);
    p.client.send(frame(1));
    await eventually(() => atServer.length === 1, 1_000, 'the healthy link to work');
    expect(reason).to.equal(undefined);
    other.client.close();
    await other.listener.close();
  });

  it('closes a link whose header announces an oversize body, without waiting for the body', async () => {
    const small = await new TcpTransport().listen(new URL('tcp://127.0.0.1:0'), (link) => link.onClose((r) => (reason = r)), { maxBodySize: 1024 });
    let reason: QiError | undefined;
    const raw = net.connect({ host: '127.0.0.1', port: Number(new URL(small.url).port) });
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.on('error', () => {});
    const header = frame(1, 0);
    writeU32(header, 8, 1 << 30);
    raw.write(header);
    await eventually(() => reason !== undefined, 1_000, 'the oversize link to close');
    expect(reason).to.be.instanceOf(ProtocolError);
    expect(reason!.message).to.contain('1073741824');
    raw.destroy();
    await small.close();
  });

  it('reports congestion while the peer does not read, and drains once it does', async function () {
    this.timeout(10_000);
    p.server.pause();
    const big = frame(1, 1 << 20);
    let sends = 0;
    while (!p.client.congested && sends < 256) {
      p.client.send(Uint8Array.from(big));
      sends++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(p.client.congested, `congested after ${sends} MiB`).to.equal(true);
    let drained = false;
    p.client.onDrain(() => (drained = true));
    expect(drained).to.equal(false);
    let received = 0;
    p.server.onFrame(() => received++);
    p.server.resume();
    await eventually(() => drained, 5_000, 'the drain');
    await eventually(() => received === sends, 5_000, 'every frame to arrive');
  });

  it('is congested by one tick of frames past the high-water mark, and drains even if the socket takes them at once', async () => {
    p.client.send(frame(1, 1 << 20));
    expect(p.client.congested, 'queued, not yet written: the socket knows nothing of it yet').to.equal(true);
    expect(p.client.bufferedBytes).to.be.at.least(1 << 20);
    let drained = false;
    p.client.onDrain(() => (drained = true));
    await eventually(() => drained, 2_000, 'the drain');
  });

  it('gives up a connect when its signal aborts, with ClosedError', async () => {
    const controller = new AbortController();
    const connecting = tcp.connect(new URL(p.listener.url), { signal: controller.signal });
    controller.abort();
    let error: unknown;
    await connecting.catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(ClosedError);
  });
});

describe('endpoint URLs', () => {
  const registry = defaultTransports();
  const cases: Array<[string, RegExp]> = [
    ['ftp://127.0.0.1:21', /no transport for scheme 'ftp'/],
    ['not a url', /invalid endpoint URL 'not a url'/],
  ];
  for (const [url, message] of cases) {
    it(`refuses ${url} with a TransportError that names it`, () => {
      expect(() => registry.resolve(url)).to.throw(TransportError, message);
    });
  }

  it('refuses a tcp URL without a port, or with a bad host, naming the URL', async () => {
    for (const [url, message] of [
      ['tcp://127.0.0.1', /missing port in 'tcp:\/\/127.0.0.1'/],
      ['tcp://bad_host:80', /bad host 'bad_host'/],
    ] as const) {
      let error: unknown;
      await new TcpTransport().connect(new URL(url)).catch((err: unknown) => (error = err));
      expect(error, url).to.be.instanceOf(TransportError);
      expect((error as Error).message).to.match(message);
    }
  });

  it('lets a program register its own transport by scheme', () => {
    const registry = new TransportRegistry().register(new FakeTransport('robot'));
    expect(registry.resolve('robot://arm').transport.scheme).to.equal('robot');
    expect(registry.schemes).to.deep.equal(['robot']);
  });
});

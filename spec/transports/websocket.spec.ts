/** What only the WebSocket transport does: share an application's HTTP server, refuse what is not a frame, wss. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { connect, createService, TransportRegistry, MemoryTransport, WebSocketTransport } from '../../lib/index.js';
import { ProtocolError, type QiError } from '../../lib/protocol/errors.js';
import { encodeFrame, MessageType } from '../../lib/protocol/header.js';
import type { Link } from '../../lib/transports/transport.js';
import { eventually } from '../helpers.js';

const frame = (id: number, size = 4): Uint8Array =>
  encodeFrame({ id, type: MessageType.Post, channel: 1, object: 1, action: 100 }, new Uint8Array(size));

function listenHttp(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('WebSocket transport', function () {
  this.timeout(10_000);

  it('attaches to an application HTTP server at a path: the app keeps its pages, qimessaging gets /qi', async () => {
    const app = http.createServer((_req, res) => res.end('hello from the app'));
    const port = await listenHttp(app);
    const transports = new TransportRegistry([new MemoryTransport(), new WebSocketTransport({ server: app })]);
    const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: [`ws://127.0.0.1:${port}/qi`] });
    try {
      expect(service.endpoints).to.deep.equal([`ws://127.0.0.1:${port}/qi`]);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).to.equal('hello from the app');
      const connection = await connect(`ws://127.0.0.1:${port}/qi`, { transports });
      expect(await (await connection.service('calc')).call('add', 2, 3)).to.equal(5);
      await connection.close();
    } finally {
      await service.close();
      expect(app.listening, 'the app server stays up after the listener closes').to.equal(true);
      await new Promise((resolve) => app.close(resolve));
    }
  });

  describe('a peer that breaks the protocol', () => {
    let closeListener: () => Promise<void>;
    let url: string;
    let reason: QiError | undefined;
    let frames: number;

    beforeEach(async () => {
      reason = undefined;
      frames = 0;
      const listener = await new WebSocketTransport().listen(new URL('ws://127.0.0.1:0/qi'), (link: Link) => {
        link.onFrame(() => frames++);
        link.onClose((r) => (reason = r));
      });
      url = listener.url;
      closeListener = () => listener.close();
    });
    afterEach(() => closeListener());

    async function rawSocket(): Promise<WebSocket> {
      const socket = new WebSocket(url);
      await new Promise((resolve) => socket.once('open', resolve));
      return socket;
    }

    it('sends a text message: closed with ProtocolError', async () => {
      (await rawSocket()).send('hello');
      await eventually(() => reason !== undefined, 2_000, 'the link to close');
      expect(reason).to.be.instanceOf(ProtocolError);
      expect(reason!.message).to.contain('text');
    });

    it('splits a frame over two messages: closed with ProtocolError', async () => {
      const socket = await rawSocket();
      const whole = frame(1, 100);
      socket.send(whole.subarray(0, 50));
      socket.send(whole.subarray(50));
      await eventually(() => reason !== undefined, 2_000, 'the link to close');
      expect(reason).to.be.instanceOf(ProtocolError);
      expect(frames).to.equal(0);
    });

    it('sends several whole frames in one message: all delivered', async () => {
      const socket = await rawSocket();
      socket.send(Buffer.concat([frame(1), frame(2), frame(3)]));
      await eventually(() => frames === 3, 2_000, 'three frames');
      expect(reason).to.equal(undefined);
      socket.close();
    });
  });

  it('reports congestion through bufferedAmount while the peer does not read, and drains', async () => {
    let server!: Link;
    const listener = await new WebSocketTransport().listen(new URL('ws://127.0.0.1:0/qi'), (link) => (server = link));
    const client = await new WebSocketTransport().connect(new URL(listener.url));
    try {
      await eventually(() => server !== undefined, 1_000, 'the accepted link');
      server.pause();
      let sends = 0;
      while (!client.congested && sends < 512) {
        client.send(frame(sends, 1 << 20));
        sends++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(client.congested).to.equal(true);
      let drained = false;
      client.onDrain(() => (drained = true));
      let received = 0;
      server.onFrame(() => received++);
      server.resume();
      await eventually(() => drained && received === sends, 8_000, 'the drain and every frame');
    } finally {
      client.close();
      await listener.close();
    }
  });

  it('serves wss:// with a certificate and connects with its CA', async function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qi-wss-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const key = readFileSync(path.join(dir, 'key.pem'));
      const cert = readFileSync(path.join(dir, 'cert.pem'));
      const transports = new TransportRegistry([
        new MemoryTransport(),
        new WebSocketTransport({ scheme: 'wss', tls: { key, cert }, clientTls: { ca: cert } }),
      ]);
      const service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: ['wss://127.0.0.1:0/qi'] });
      try {
        const connection = await connect(service.endpoints[0]!, { transports });
        expect(await (await connection.service('calc')).call('add', 20, 22)).to.equal(42);
        await connection.close();
      } finally {
        await service.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

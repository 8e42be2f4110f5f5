/**
 * A qimessaging listener on an application's node:http server, as a new user embeds it: created before the server
 * listens, alone or beside the app's own upgrade handler, never twice on one path, its URL checked against the
 * server's port; and a ws:// client that cannot connect says why.
 */
import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { connect, createService, MemoryTransport, TransportError, TransportRegistry, WebSocketTransport } from '../../lib/index.js';
import { freePort } from '../free-port.js';

const calc = { add: (a: number, b: number) => a + b };


const listen = (server: http.Server, port: number): Promise<void> => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const closeServer = (server: http.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
const transportsOn = (server: http.Server) => new TransportRegistry([new MemoryTransport(), new WebSocketTransport({ server })]);
const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (err: unknown) => err);

/** What a raw WebSocket client gets for an upgrade to `url`: the HTTP status of a refusal, or 'open'. */
function upgrade(url: string): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => (socket.close(), resolve('open')));
    socket.once('unexpected-response', (_request, response) => (socket.terminate(), resolve(response.statusCode ?? 0)));
    socket.once('error', reject);
  });
}

describe('a WebSocket listener embedded in a node:http app', function () {
  this.timeout(10_000);

  it('may be created before the server listens, on the port it will listen on', async () => {
    const port = await freePort();
    const app = http.createServer((_req, res) => res.end('page'));
    const transports = transportsOn(app);
    const service = await createService('calc', calc, { transports, listen: [`ws://127.0.0.1:${port}/qi`] });
    try {
      await listen(app, port);
      expect(service.endpoints).to.deep.equal([`ws://127.0.0.1:${port}/qi`]);
      const connection = await connect(`ws://127.0.0.1:${port}/qi`, { transports });
      expect(await (await connection.service('calc')).call('add', 2, 3)).to.equal(5);
      await connection.close();
    } finally {
      await service.close();
      await closeServer(app);
    }
  });

  it('refuses a port it cannot know before the server listens, and a port that is not the server\'s', async () => {
    const app = http.createServer();
    const transports = transportsOn(app);
    const early = await failure(createService('calc', calc, { transports, listen: ['ws://127.0.0.1:0/qi'] }));
    expect(early).to.be.instanceOf(TransportError);
    expect((early as Error).message).to.contain('not listening yet');
    await listen(app, 0);
    const { port } = app.address() as net.AddressInfo;
    try {
      const wrong = await failure(createService('calc', calc, { transports, listen: [`ws://127.0.0.1:${port + 1}/qi`] }));
      expect(wrong).to.be.instanceOf(TransportError);
      expect((wrong as Error).message).to.contain(`listens on port ${port}, not ${port + 1}`);
      // Port 0 on a listening server: the server's port; the host is the URL's, what clients are to dial.
      const service = await createService('calc', calc, { transports, listen: ['ws://localhost:0/qi'] });
      expect(service.endpoints).to.deep.equal([`ws://localhost:${port}/qi`]);
      await service.close();
    } finally {
      await closeServer(app);
    }
  });

  it('answers an upgrade to another path when it is the only upgrade handler, so the server can close', async () => {
    const app = http.createServer();
    await listen(app, 0);
    const { port } = app.address() as net.AddressInfo;
    const service = await createService('calc', calc, { transports: transportsOn(app), listen: [`ws://127.0.0.1:${port}/qi`] });
    try {
      expect(await upgrade(`ws://127.0.0.1:${port}/elsewhere`)).to.equal(404);
      expect(await upgrade(`ws://127.0.0.1:${port}/qi`)).to.equal('open');
    } finally {
      await service.close();
      await closeServer(app); // hung for ever when the /elsewhere socket was left open
    }
  });

  it("leaves an upgrade to another path to the app's own upgrade handler", async () => {
    const app = http.createServer();
    const seen: string[] = [];
    app.on('upgrade', (request: http.IncomingMessage, socket: net.Socket) => {
      if (request.url === '/qi') return;
      seen.push(request.url ?? '');
      socket.end('HTTP/1.1 418 I am a teapot\r\nContent-Length: 0\r\n\r\n');
    });
    await listen(app, 0);
    const { port } = app.address() as net.AddressInfo;
    const service = await createService('calc', calc, { transports: transportsOn(app), listen: [`ws://127.0.0.1:${port}/qi`] });
    try {
      expect(await upgrade(`ws://127.0.0.1:${port}/app`)).to.equal(418);
      expect(seen).to.deep.equal(['/app']);
    } finally {
      await service.close();
      await closeServer(app);
    }
  });

  it('refuses a second listener on the same server and path, and allows it once the first is closed', async () => {
    const app = http.createServer();
    await listen(app, 0);
    const { port } = app.address() as net.AddressInfo;
    const url = `ws://127.0.0.1:${port}/qi`;
    const first = await createService('calc', calc, { transports: transportsOn(app), listen: [url] });
    try {
      // Even through another transport instance: they share the server.
      const second = await failure(createService('calc2', calc, { transports: transportsOn(app), listen: [url] }));
      expect(second).to.be.instanceOf(TransportError);
      expect((second as Error).message).to.contain('already has a qimessaging listener on /qi');
      const other = await createService('calc3', calc, { transports: transportsOn(app), listen: [`ws://127.0.0.1:${port}/other`] });
      const connection = await connect(url);
      expect(await (await connection.service('calc')).call('add', 1, 1)).to.equal(2);
      await connection.close();
      await other.close();
      await first.close();
      const again = await createService('calc', calc, { transports: transportsOn(app), listen: [url] });
      await again.close();
    } finally {
      await first.close();
      await closeServer(app);
    }
  });

  it('gives the cause when a ws:// connection fails, as tcp:// does', async () => {
    const port = await freePort();
    const refused = await failure(connect(`ws://127.0.0.1:${port}/qi`, { reconnect: false }));
    expect(refused).to.be.instanceOf(TransportError);
    expect((refused as Error).message).to.contain('ECONNREFUSED');
  });
});

/**
 * qimessaging inside an existing node:http app, on the app's own port: the app serves its page and the browser
 * build of the client; qimessaging answers WebSocket upgrades on /qi, where a `clock` service lives. The page calls
 * `clock.add(2, 3)` and shows the `tick` signal live.
 *
 *   npx tsx examples/embed-http.ts --port 8080      then open http://127.0.0.1:8080
 *
 * It prints one line when ready and closes everything on SIGINT/SIGTERM. (The browser build is made here with
 * esbuild at start-up, to keep the example self-contained; an app would use its own bundler on
 * `qimessaging/browser`.)
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { createService, defaultTransports, property, signal, WebSocketTransport } from '../lib/index.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } });

const page = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>qimessaging in a page</title></head>
  <body>
    <h1>clock</h1>
    <p>clock.add(2, 3) = <output id="result">…</output></p>
    <p>tick: <output id="tick">waiting</output></p>
    <p id="error"></p>
    <script type="module">
      import { connect } from '/qimessaging.js';
      try {
        const conn = await connect('ws://' + location.host + '/qi');
        const clock = await conn.service('clock');
        document.querySelector('#result').textContent = String(await clock.call('add', 2, 3));
        await clock.on('tick', (n) => (document.querySelector('#tick').textContent = String(n)));
      } catch (err) {
        document.querySelector('#error').textContent = err.name + ': ' + err.message;
      }
    </script>
  </body>
</html>`;

const bundle = await build({ entryPoints: [new URL('../lib/browser.ts', import.meta.url).pathname], bundle: true, platform: 'browser', format: 'esm', write: false });
const script = bundle.outputFiles[0]!.contents;

// The app: a plain request handler, as the app had before qimessaging.
const app = http.createServer((req, res) => {
  if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  if (req.url === '/qimessaging.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => app.listen(Number(values.port), '127.0.0.1', resolve));
const { port } = app.address() as { port: number };

// qimessaging on the same server: only upgrades to /qi are its.
const clockService = {
  tick: signal<[n: number]>(),
  started: property(new Date().toISOString(), { readOnly: true }),
  add: (a: number, b: number) => a + b,
};
const transports = defaultTransports().register(new WebSocketTransport({ server: app }));
const clock = await createService('clock', clockService, { transports, listen: [`ws://127.0.0.1:${port}/qi`] });
let n = 0;
const ticker = setInterval(() => clockService.tick.emit(++n), 200);
console.log(`embed-http ready: http://127.0.0.1:${port} (qimessaging at ${clock.endpoints[0]})`);

const shutDown = async (): Promise<void> => {
  clearInterval(ticker);
  await clock.close();
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
};
for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => void shutDown());

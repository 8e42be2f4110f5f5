/**
 * Watch every actor of the demo live in the Stately inspector.
 *
 *   npx tsx examples/inspect.ts
 *   then open http://localhost:8080 in a browser: that page opens the inspector (stately.ai/inspect, which needs
 *   internet) and relays this process's actors to it. The demo calls a service every second until Ctrl-C.
 *
 * You will see the ServiceDirectory with its registry, the Gateway, one Forwarder per binding (named
 * forwarder:<link>:<service>:<n>), each Service, the Connection and its Clients, and their states changing as
 * links open, bindings form and services come and go. `--once` runs the flow once and exits; `--port` moves the
 * relay off 8080.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { connect, createGateway, createService, createServiceDirectory } from '../lib/index.js';
import { calcService, echoService } from './services.js';

const { values } = parseArgs({ options: { once: { type: 'boolean', default: false }, port: { type: 'string', default: '8080' } } });
const port = Number(values.port);

const relay = createInspectorServer({ port, autoOpen: false });
// @statelyai/inspect retries a failed or aborted connection every 5 s for ever (stop() does not cancel that), so:
// connect once the relay listens, wait for the socket to open, and at the end close it before the relay.
await portAccepts(port);
const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
const inspectorSocket = (inspector.adapter as unknown as { ws: InspectorSocket }).ws;
await new Promise<void>((resolve) => inspectorSocket.once('open', resolve));
const { inspect } = inspector;

const directory = await createServiceDirectory({ listen: ['memory://inspect-sd'], inspect });
const gateway = await createGateway({ directory: directory.url, listen: ['memory://inspect-gw'], inspect });
const calc = await createService('calc', calcService, { directory: directory.url, inspect });
let echo = await createService('echo', echoService, { directory: directory.url, inspect });
const connection = await connect('memory://inspect-gw', { inspect });
const client = await connection.service('calc');
console.log(`open http://localhost:${port} to watch; calc.add(1, 2) = ${String(await client.call('add', 1, 2))}`);

let round = 0;
const tick = async (): Promise<void> => {
  round++;
  await client.call('add', round, round);
  // Every few rounds a service goes and comes back, so bindings and the registry visibly change.
  if (round % 5 === 0) {
    await echo.close();
    echo = await createService('echo', echoService, { directory: directory.url, inspect });
  }
  const echoClient = await connection.service('echo');
  await echoClient.call('echo', round);
  await echoClient.close();
};

const shutDown = async (): Promise<void> => {
  clearInterval(timer);
  await connection.close();
  await Promise.all([calc.close(), echo.close()]);
  await gateway.close();
  await directory.close();
  await stopInspector();
  relay.stop();
};

interface InspectorSocket {
  readyState: number;
  once(event: 'open' | 'close', listener: () => void): void;
}

/** Stops the inspector and resolves once its socket has closed. */
function stopInspector(): Promise<void> {
  const closed = inspectorSocket.readyState === 3 ? Promise.resolve() : new Promise<void>((resolve) => inspectorSocket.once('close', resolve));
  inspector.stop();
  return closed;
}

/** Resolves once something accepts TCP connections on `port`. */
async function portAccepts(port: number): Promise<void> {
  for (;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const probe = net.connect({ host: '127.0.0.1', port }, () => resolve(true)).on('error', () => resolve(false));
      probe.once('connect', () => probe.destroy());
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const timer = setInterval(() => void tick(), 1_000);
if (values.once) {
  await tick();
  await shutDown();
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutDown());
}

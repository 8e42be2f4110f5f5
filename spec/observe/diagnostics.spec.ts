/**
 * What an embedding application can observe: diagnostics_channel messages for frames and lifecycle, an optional
 * logger, and silence otherwise (nothing on stdout, no global handler, no process.exit).
 */
import { spawnSync } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  connect,
  createGateway,
  createService,
  createServiceDirectory,
  FRAME_CHANNEL,
  LIFECYCLE_CHANNEL,
  MessageType,
  signal,
  type FrameMessage,
  type LifecycleMessage,
  type Logger,
} from '../../lib/index.js';
import { ForwardingRoute } from '../../lib/gateway/forwarding-route.js';
import { eventually } from '../helpers.js';

async function flow(logger?: Logger) {
  const ticker = { tick: signal<[n: number]>(), add: (a: number, b: number) => a + b };
  const directory = await createServiceDirectory({ listen: ['memory://observe-sd'], ...(logger ? { logger } : {}) });
  const gateway = await createGateway({ directory: directory.url, listen: ['memory://observe-gw'], ...(logger ? { logger } : {}) });
  const service = await createService('calc', ticker, { directory: directory.url, ...(logger ? { logger } : {}) });
  const connection = await connect('memory://observe-gw', logger ? { logger } : {});
  const client = await connection.service<typeof ticker>('calc');
  return {
    ticker,
    gateway,
    connection,
    client,
    close: async () => {
      await connection.close();
      await service.close();
      await gateway.close();
      await directory.close();
    },
  };
}

describe('observability', () => {
  afterEach(() => sinon.restore());

  it('publishes every frame, in and out, on qimessaging:frame while subscribed', async () => {
    const frames: FrameMessage[] = [];
    const onFrame = (message: unknown): void => void frames.push(message as FrameMessage);
    diagnostics.subscribe(FRAME_CHANNEL, onFrame);
    let addId = 0;
    let during: FrameMessage[] = [];
    try {
      const { client, close } = await flow();
      addId = client.metaObject.methods.find((m) => m.name === 'add')!.id;
      const start = frames.length;
      expect(await client.add(2, 3)).to.equal(5);
      during = frames.slice(start);
      await close();
    } finally {
      diagnostics.unsubscribe(FRAME_CHANNEL, onFrame);
    }
    const calls = during.filter((f) => f.header.type === MessageType.Call && f.header.action === addId);
    expect(during.filter((f) => f.header.type === MessageType.Reply)).to.have.length(4);
    // client → gateway (out, in), gateway → service (out, in): four sightings of the one call.
    expect(calls.map((f) => f.direction)).to.deep.equal(['out', 'in', 'out', 'in']);
    // Seen leaving the client, entering the gateway, leaving the gateway, entering the service: four link ends.
    expect(new Set(calls.map((f) => f.link)).size).to.equal(4);
    expect(frames.some((f) => f.header.type === MessageType.Capability)).to.equal(true);
  });

  it('publishes actor states on qimessaging:lifecycle', async () => {
    const lifecycle: LifecycleMessage[] = [];
    const onLifecycle = (message: unknown): void => void lifecycle.push(message as LifecycleMessage);
    diagnostics.subscribe(LIFECYCLE_CHANNEL, onLifecycle);
    try {
      const { close } = await flow();
      await close();
    } finally {
      diagnostics.unsubscribe(LIFECYCLE_CHANNEL, onLifecycle);
    }
    const statesOf = (prefix: string): unknown[] => lifecycle.filter((m) => m.actor.startsWith(prefix) && 'state' in m).map((m) => (m as { state: unknown }).state);
    expect(statesOf('forwarder:')).to.deep.equal(['resolving', 'connecting', 'binding', 'active', 'closed']);
    expect(statesOf('gateway')).to.include.members(['connectingDirectory', 'listening', 'ready', 'closing', 'closed']);
    expect(statesOf('service:calc')).to.deep.equal(['listening', 'registering', 'ready', 'closing', 'closed']);
  });

  it('logs states at debug, a throwing listener at warn and an actor failure at error, through the logger given', async () => {
    const logger = { debug: sinon.spy(), warn: sinon.spy(), error: sinon.spy() };
    const { ticker, client, connection, close } = await flow(logger);
    await client.on('tick', () => {
      throw new Error('listener bug');
    });
    ticker.tick.emit(1);
    await eventually(() => logger.warn.called, 1_000, 'the listener error to be logged');
    expect(String(logger.warn.firstCall.args[0])).to.contain('listener of calc threw');
    const install = sinon.stub(ForwardingRoute.prototype, 'install').callThrough();
    install.onFirstCall().throws(new Error('injected'));
    await connection.service('calc').catch(() => undefined);
    await eventually(() => logger.error.called, 1_000, 'the forwarder failure to be logged');
    expect(String(logger.error.firstCall.args[0])).to.match(/forwarder:link-\d+:calc:\d+ failed/);
    await close();
    const debugLines = logger.debug.getCalls().map((c) => String(c.args[0]));
    expect(debugLines).to.include('[qimessaging] gateway: "ready"');
    expect(debugLines.some((line) => /forwarder:.*"active"/.test(line))).to.equal(true);
  });

  it('prints nothing and installs no process handler by itself', () => {
    const script = `
      const before = ['uncaughtException', 'unhandledRejection', 'SIGINT', 'SIGTERM', 'exit'].map((e) => process.listenerCount(e));
      const lib = await import('./lib/index.ts');
      const directory = await lib.createServiceDirectory({ listen: ['memory://quiet-sd'] });
      const gateway = await lib.createGateway({ directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
      const service = await lib.createService('calc', { add: (a, b) => a + b, fail() { throw new Error('x'); } }, { directory: directory.url });
      const connection = await lib.connect(gateway.url);
      const calc = await connection.service('calc');
      await calc.call('add', 1, 2);
      await calc.call('fail').catch(() => {});
      await connection.service('missing').catch(() => {});
      await connection.close(); await service.close(); await gateway.close(); await directory.close();
      const after = ['uncaughtException', 'unhandledRejection', 'SIGINT', 'SIGTERM', 'exit'].map((e) => process.listenerCount(e));
      process.stderr.write(JSON.stringify({ before, after }));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.status, child.stderr).to.equal(0);
    expect(child.stdout).to.equal('');
    const { before, after } = JSON.parse(child.stderr.trim().split('\n').pop()!) as { before: number[]; after: number[] };
    expect(after).to.deep.equal(before);
  });
});

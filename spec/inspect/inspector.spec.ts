/**
 * The Stately inspector, end to end without the internet: a local WebSocket server plays the inspector's server,
 * `createWebSocketInspector` points at it, and a bind-and-call flow must show up there as actors and snapshots,
 * forwarder included.
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import { expect } from 'chai';
import { WebSocketServer } from 'ws';
import { connect, createGateway, createService, createServiceDirectory } from '../../lib/index.js';
import { eventually } from '../helpers.js';

interface Received {
  type: string;
  name?: string;
  sessionId: string;
  snapshot?: { value?: unknown; status?: string; context?: Record<string, unknown> };
}

describe('inspection with @statelyai/inspect', function () {
  this.timeout(15_000);

  it('shows every actor of a bind-and-call flow, with readable names and live states', async () => {
    const received: Received[] = [];
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => socket.on('message', (data) => received.push(JSON.parse(String(data)) as Received)));
    const { port } = server.address() as { port: number };
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
    const inspect = inspector.inspect;
    try {
      const directory = await createServiceDirectory({ listen: ['memory://inspect-sd'], inspect });
      const gateway = await createGateway({ directory: directory.url, listen: ['memory://inspect-gw'], inspect });
      const calc = await createService('calc', { add: (a: number, b: number) => a + b }, { directory: directory.url, inspect });
      const connection = await connect('memory://inspect-gw', { inspect });
      const client = await connection.service('calc');
      expect(await client.call('add', 1, 2)).to.equal(3);

      const names = (): string[] => received.filter((e) => e.type === '@xstate.actor').map((e) => e.name ?? '');
      await eventually(() => names().includes('forwarder'), 5_000, 'the forwarder to be announced');
      expect(names()).to.include.members(['serviceDirectory', 'gateway', 'service:calc', 'connection', 'client']);
      // Children are named by kind (see actorId in lib/actor-runtime.ts) and shown under their parent; their
      // unique, readable names are their system ids.
      const forwarder = received.find((e) => e.type === '@xstate.actor' && e.name === 'forwarder')! as Received & { parentId?: string };
      expect(forwarder.parentId).to.equal(gateway.actor.sessionId);
      const systemIds = Object.keys(gateway.actor.system.getAll());
      expect(systemIds.some((id) => /^forwarder:link-\d+:calc:\d+$/.test(id)), systemIds.join(', ')).to.equal(true);

      // Live states: the forwarder's snapshots go through to `active`, and its route counters are serialised.
      const forwarderSnapshots = (): Received[] => received.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === forwarder.sessionId);
      await eventually(() => forwarderSnapshots().some((s) => s.snapshot?.value === 'active'), 5_000, 'the forwarder to be active');
      const active = forwarderSnapshots().find((s) => s.snapshot?.value === 'active')!;
      expect(active.snapshot!.context!['route']).to.include.keys('framesUp', 'framesDown');

      await calc.close();
      await eventually(() => forwarderSnapshots().some((s) => s.snapshot?.value === 'closed'), 5_000, 'the forwarder to close when the service dies');
      await connection.close();
      await gateway.close();
      await directory.close();
    } finally {
      inspector.stop();
      for (const socket of server.clients) socket.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/**
 * Objects across the Gateway's libqi bridge (issue #16): a bridged method returning `o` gives a qimessaging client
 * a ServiceClient of that object, on a channel of its own (docs/PROTOCOL.md §5, Objects). Against the kit's real
 * `qi_sd` and `qi_zoo_service` (makeGreeter), and an ALMemory-like libqi service (`subscriber(key)` returning an
 * object with a signal and a property, as NAOqi's) registered with that `qi_sd`; through a gateway, and through
 * `connect(url, { libqi })`.
 *
 *   npx mocha --no-config --import=tsx --extension ts spec/libqi/bridge-objects.spec.ts
 */
import { expect } from 'chai';
import {
  connect,
  ConnectionLostError,
  createGateway,
  createLibqiService,
  LimitExceededError,
  RemoteError,
  ServiceGoneError,
  ServiceNotFoundError,
  type Signal,
  type Connection,
  type Gateway,
  type LibqiService,
  type Property,
  type ServiceProxy,
  type UntypedService,
} from '../../lib/index.js';
import { ControlAction, MAIN_OBJECT } from '../../lib/protocol/control.js';
import { platformTransports } from '../../lib/api/platform-defaults.js';
import { dial } from '../../lib/session/open-link.js';
import type { LibqiBridge } from '../../lib/gateway/libqi-bridge.js';
import { eventually, rejection } from '../helpers.js';
import { qi } from '../cli/run-qi.js';
import { attached, memoryImplementation, type CountedSignal } from './memory-impl.js';
import { freePort, skipWithoutPeer, startPeer, type PeerProcess } from './peer.js';

/** The subscriber contract, as a client types it: a method returning an object types as that object's proxy. */
interface Subscriber {
  key(): Promise<string>;
  signal: Signal<[value: unknown]>;
  lastValue: Property<unknown>;
}
interface Memory {
  subscriber(key: string): Promise<ServiceProxy<Subscriber>>;
  raiseEvent(key: string, value: unknown): Promise<void>;
}

async function bindWhenRegistered<T = UntypedService>(connection: Connection, name: string): Promise<ServiceProxy<T>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await connection.service<T>(name);
    } catch (err) {
      if (!(err instanceof ServiceNotFoundError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('objects (o) across the libqi bridge', function () {
  this.timeout(30_000);
  const peers: PeerProcess[] = [];
  let sdUrl: string;
  let memory: LibqiService;
  let signals: CountedSignal[];

  before(async function () {
    skipWithoutPeer(this);
    const sdPort = await freePort();
    const zooPort = await freePort();
    sdUrl = `tcp://127.0.0.1:${sdPort}`;
    peers.push(await startPeer('qi_sd', [sdUrl], { port: sdPort }));
    peers.push(await startPeer('qi_zoo_service', [sdUrl, `tcp://127.0.0.1:${zooPort}`], { port: zooPort }));
    const served = memoryImplementation();
    signals = served.signals;
    memory = await createLibqiService('ALMemory', served.implementation, { directory: sdUrl });
  });

  after(async () => {
    await memory?.close();
    for (const peer of peers.reverse()) await peer.stop();
  });

  describe('through a gateway', () => {
    let gateway: Gateway;
    let connection: Connection;
    const bridge = (): LibqiBridge => gateway.actor.getSnapshot().context.runtime.libqi!;
    const objectsAtBridge = (): number => (bridge().toJSON() as { libqiObjects: number }).libqiObjects;

    before(async function () {
      if (!sdUrl) this.skip();
      gateway = await createGateway({ libqiDirectory: sdUrl, listen: ['tcp://127.0.0.1:0'] });
      connection = await connect(gateway.url, { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    });

    after(async () => {
      await connection?.close();
      await gateway?.close();
    });

    it('gives Zoo.makeGreeter`s object as a client: its own meta-object, its methods; close releases it', async () => {
      const zoo = await bindWhenRegistered(connection, 'Zoo');
      const greeter = (await zoo.call('makeGreeter', 'hello ')) as ServiceProxy;
      expect(greeter.name).to.equal('Zoo.makeGreeter()');
      expect(greeter.metaObject.methods.map((m) => m.name)).to.deep.equal(['greet']);
      expect(await greeter.call('greet', 'nao')).to.equal('hello nao');
      expect(await greeter.methods['greet']!('pepper')).to.equal('hello pepper');
      expect(objectsAtBridge()).to.equal(1);
      await greeter.close();
      await eventually(() => objectsAtBridge() === 0, 2_000, 'the bridge released the greeter');
      expect(await greeter.closed).to.equal(undefined);
      await zoo.close();
    });

    it('ALMemory-style: subscriber(key) → its signal (on and the iterator), its property, its method; close releases it at the libqi service', async () => {
      const mem = await bindWhenRegistered<Memory>(connection, 'ALMemory');
      const before = attached(signals);
      const subscriber = await mem.subscriber('FrontTactilTouched');
      expect(attached(signals)).to.equal(before + 1); // its signal, attached by the object the service now serves
      expect(await subscriber.key()).to.equal('FrontTactilTouched');
      const heard: unknown[] = [];
      await subscriber.on('signal', (value) => heard.push(value));
      const iterator = subscriber.signal('signal');
      await iterator.ready;
      await mem.raiseEvent('FrontTactilTouched', 1);
      await mem.raiseEvent('SomethingElse', 2);
      await mem.raiseEvent('FrontTactilTouched', 'twice');
      const first = await iterator.next();
      const second = await iterator.next();
      expect([first.value, second.value]).to.deep.equal([[1], ['twice']]);
      await eventually(() => heard.length === 2, 2_000, 'both events by on');
      expect(heard).to.deep.equal([1, 'twice']);
      const lastValue = subscriber.property('lastValue');
      const changes: unknown[] = [];
      await lastValue.on((value) => changes.push(value));
      await lastValue.set(41);
      expect(await lastValue.get()).to.equal(41);
      await eventually(() => changes.length === 1, 2_000, 'the property change');
      expect(changes).to.deep.equal([41]);
      await subscriber.close();
      await eventually(() => attached(signals) === before, 2_000, 'the libqi service released the subscriber (terminate)');
      expect(objectsAtBridge()).to.equal(0);
      // The iterator ends without an error: its client was closed by its owner.
      expect((await iterator.next()).done).to.equal(true);
      await mem.close();
    });

    it('forgets each closed object at its parent binding: a long-lived binding returning many objects holds none of the closed ones', async () => {
      const mem = await bindWhenRegistered<Memory>(connection, 'ALMemory');
      const parent = [...bridge().routes.keys()].find((route) => route.name === 'ALMemory' && route.service.objectId === 1)!;
      const heldByParent = (): number => (parent as unknown as { objects: Set<unknown> }).objects.size;
      for (let i = 0; i < 5; i++) {
        const subscriber = await mem.subscriber(`k${i}`);
        await subscriber.close();
      }
      await eventually(() => objectsAtBridge() === 0, 2_000, 'the bridge released every subscriber');
      expect(heldByParent()).to.equal(0);
      await mem.close();
    });

    it('ends the objects of a binding when it is closed, and releases them at the libqi service', async () => {
      const mem = await bindWhenRegistered<Memory>(connection, 'ALMemory');
      const before = attached(signals);
      const [a, b] = await Promise.all([mem.subscriber('k'), mem.subscriber('k')]);
      const iterator = a.signal('signal');
      await iterator.ready;
      expect(objectsAtBridge()).to.equal(2);
      await mem.close();
      expect(await a.closed).to.be.instanceOf(ServiceGoneError);
      expect(await b.closed).to.be.instanceOf(ServiceGoneError);
      await rejection(iterator.next(), ServiceGoneError);
      await rejection(b.key(), ServiceGoneError);
      await eventually(() => objectsAtBridge() === 0 && attached(signals) === before, 2_000, 'both released');
    });

    it('ends an object with ServiceGone when its link is lost; the parent binds again, the object is not re-created', async () => {
      const mem = await bindWhenRegistered<Memory>(connection, 'ALMemory');
      const before = attached(signals);
      const subscriber = await mem.subscriber('lost');
      const [atGateway] = [...gateway.actor.getSnapshot().context.runtime.links.sessions];
      atGateway!.close(new ConnectionLostError('dropped by the spec'));
      expect(await subscriber.closed).to.be.instanceOf(ServiceGoneError);
      await eventually(() => objectsAtBridge() === 0 && attached(signals) === before, 3_000, 'released with the link');
      // The parent rebinds by itself once the connection is back.
      await eventually(() => connection.isOpen, 5_000, 'reconnected');
      const again = await mem.subscriber('lost');
      expect(await again.key()).to.equal('lost');
      await rejection(subscriber.key(), ServiceGoneError);
      await mem.close();
    });

    it('qi call prints an object as its name and meta-object, and releases it', async () => {
      const run = await qi(['call', 'Zoo.makeGreeter', 'hi ', '--json'], { QI_URL: gateway.url });
      expect(run.code, run.stderr).to.equal(0);
      const printed = JSON.parse(run.stdout) as { object: string; metaObject: { methods: Array<{ name: string }> } };
      expect(printed.object).to.equal('Zoo.makeGreeter()');
      expect(printed.metaObject.methods.map((m) => m.name)).to.deep.equal(['greet']);
      await eventually(() => objectsAtBridge() === 0, 2_000, 'released');
    });

    it('keeps RemoteError for a client that does not announce features.objects, and releases the object at the libqi service', async () => {
      const session = await dial(platformTransports(), gateway.url);
      const before = attached(signals);
      try {
        expect(session.peerAcceptsObjects).to.equal(false);
        const { channel, metaObject } = (await session.controlCall(ControlAction.bind, { name: 'ALMemory' })) as { channel: number; metaObject: { methods: Array<{ id: number; name: string }> } };
        const subscriber = metaObject.methods.find((m) => m.name === 'subscriber')!.id;
        // Answers are settled on a channel that routes somewhere.
        session.attachChannel(channel, { onFrame: () => undefined, onClosed: () => undefined });
        const error = await rejection(session.call(channel, MAIN_OBJECT, subscriber, ['old client']), RemoteError);
        expect(error.message).to.contain('features.objects');
        expect(objectsAtBridge()).to.equal(0);
        await eventually(() => attached(signals) === before, 2_000, 'the refused object released (terminate)');
      } finally {
        session.close();
      }
    });

    it('bounds the objects of a link by its share of bindings (LimitExceeded, the object released); the share comes back after close', async () => {
      const bounded = await createGateway({ libqiDirectory: sdUrl, listen: ['memory://bridge-objects-bounded'], maxBindingsPerLink: 4 });
      const client = await connect('memory://bridge-objects-bounded');
      const boundedObjects = (): number => (bounded.actor.getSnapshot().context.runtime.libqi!.toJSON() as { libqiObjects: number; libqiBindings: number }).libqiObjects;
      const before = attached(signals);
      try {
        const mem = await bindWhenRegistered<Memory>(client, 'ALMemory');
        const held = [await mem.subscriber('a'), await mem.subscriber('b'), await mem.subscriber('c')];
        const refused = await Promise.allSettled(Array.from({ length: 20 }, () => mem.subscriber('flood')));
        expect(refused.every((r) => r.status === 'rejected' && r.reason instanceof LimitExceededError)).to.equal(true);
        expect(boundedObjects()).to.equal(3);
        // Refused objects were released at the service (terminate): only the three held are attached.
        await eventually(() => attached(signals) === before + 3, 3_000, 'refused objects released');
        await Promise.all(held.map((s) => s.close()));
        await eventually(() => boundedObjects() === 0 && attached(signals) === before, 3_000, 'all released');
        // The share is back: three more fit again.
        const again = await Promise.all([mem.subscriber('d'), mem.subscriber('e'), mem.subscriber('f')]);
        expect(await again[2]!.key()).to.equal('f');
        await mem.close();
        await eventually(() => (bounded.actor.getSnapshot().context.runtime.libqi!.toJSON() as { libqiBindings: number }).libqiBindings === 0, 2_000, 'no bindings left');
        await eventually(() => attached(signals) === before, 3_000, 'every object released');
      } finally {
        await client.close();
        await bounded.close();
      }
    });
  });

  describe('through connect(url, { libqi })', () => {
    let connection: Connection;

    before(async function () {
      if (!sdUrl) this.skip();
      connection = await connect(sdUrl, { libqi: true });
    });

    after(async () => {
      await connection?.close();
    });

    it('gives makeGreeter`s object and ALMemory`s subscriber as clients: methods, signal iterator, property; close and the parent`s end release them', async () => {
      const zoo = await bindWhenRegistered(connection, 'Zoo');
      const greeter = (await zoo.call('makeGreeter', 'hi ')) as ServiceProxy;
      expect(await greeter.call('greet', 'robot')).to.equal('hi robot');
      await greeter.close();
      const mem = await bindWhenRegistered<Memory>(connection, 'ALMemory');
      const before = attached(signals);
      const subscriber = await mem.subscriber('HeadTouched');
      const iterator = subscriber.signal('signal');
      await iterator.ready;
      await mem.raiseEvent('HeadTouched', { pressed: true });
      expect((await iterator.next()).value).to.deep.equal([{ pressed: true }]);
      await subscriber.property('lastValue').set('x');
      expect(await subscriber.property('lastValue').get()).to.equal('x');
      await subscriber.close();
      await eventually(() => attached(signals) === before, 2_000, 'the subscriber released');
      const other = await mem.subscriber('HeadTouched');
      await mem.close();
      expect(await other.closed).to.be.instanceOf(ServiceGoneError);
      await eventually(() => attached(signals) === before, 2_000, 'released with its parent');
      await zoo.close();
    });
  });
});

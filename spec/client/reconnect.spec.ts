/**
 * Reconnection on a fake clock through the fake transport (setTimeout and setInterval are faked; frames still
 * flow on process.nextTick): the backoff between attempts, calls in flight failing once, calls made meanwhile
 * waiting and going out once, subscriptions replayed, a rebind that finds no service, close() while reconnecting.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import {
  ClosedError,
  connect,
  ConnectionLostError,
  createGateway,
  createService,
  createServiceDirectory,
  MemoryTransport,
  ServiceGoneError,
  signal,
  TimeoutError,
  TransportError,
  TransportRegistry,
  type Connection,
  type Service,
  type Status,
} from '../../lib/index.js';
import { FakeTransport, type FakeLink } from '../../lib/testing/index.js';
import { rejection } from '../helpers.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a connection that loses its link', () => {
  let clock: sinon.SinonFakeTimers;
  let fake: FakeTransport;
  let transports: TransportRegistry;
  let service: Service;
  let connection: Connection;
  const ticked = signal<[n: number]>();
  let adds = 0;
  let release: (() => void) | undefined;

  /** The client end of the connection's current link. */
  const clientEnd = (): FakeLink => fake.links.filter((link) => link.remote === 'fake://calc' && !link.closed).at(-1)!;

  beforeEach(async () => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    fake = new FakeTransport();
    transports = new TransportRegistry([fake]);
    adds = 0;
    const calc = {
      add: (a: number, b: number) => (adds++, a + b),
      hang: () => new Promise<void>((resolve) => (release = resolve)),
      ticked,
    };
    service = await createService('calc', calc, { transports, listen: ['fake://calc'] });
    connection = await connect('fake://calc', { transports, reconnect: { initialDelayMs: 100, factor: 2, maxDelayMs: 1_000, jitter: 0 } });
  });
  afterEach(async () => {
    release?.();
    await connection.close();
    await service.close();
    clock.restore();
  });

  it('fails calls in flight once, waits with new ones, binds again after the backoff and replays subscriptions', async () => {
    const calc = await connection.service<{ add(a: number, b: number): number; hang(): void; ticked: typeof ticked }>('calc');
    const heard: number[] = [];
    await calc.on('ticked', (n) => heard.push(n));
    const statuses: Status[] = [];
    connection.onStatus((status) => statuses.push(status));
    const clientStatuses: string[] = [];
    calc.onStatus((status) => clientStatuses.push(status.status));
    const inFlight = calc.call('hang');

    clientEnd().drop();
    await rejection(inFlight, ConnectionLostError);
    const waiting = calc.add(2, 3);
    await flush();
    expect(connection.actor.getSnapshot().matches({ reconnecting: 'waiting' })).to.equal(true);
    expect(calc.actor.getSnapshot().value).to.equal('suspended');

    await clock.tickAsync(99);
    expect(connection.actor.getSnapshot().matches({ reconnecting: 'waiting' }), 'not before its delay').to.equal(true);
    await clock.tickAsync(1);
    await flush();
    await flush();
    expect(await waiting).to.equal(5);
    expect(connection.actor.getSnapshot().value).to.equal('open');
    expect(calc.actor.getSnapshot().value).to.equal('bound');
    expect(adds, 'the waiting call went out once').to.equal(1);
    expect(statuses.map((s) => s.status)).to.deep.equal(['disconnected', 'reconnecting', 'reconnected']);
    expect(clientStatuses).to.deep.equal(['disconnected', 'rebound']);

    ticked.emit(7);
    await flush();
    await flush();
    expect(heard, 'the old listener hears an emission after the rebind exactly once').to.deep.equal([7]);
    expect(service.stats.eventFrames).to.equal(1);
  });

  it('waits longer after each failed attempt, as its backoff says', async () => {
    await connection.service('calc');
    const attempts: Array<{ attempt: number; at: number }> = [];
    connection.onStatus((status) => status.status === 'reconnecting' && attempts.push({ attempt: status.attempt, at: Date.now() }));
    const started = Date.now();
    fake.failNextConnect(new TransportError('refused'));
    clientEnd().drop();
    await flush();
    await clock.tickAsync(100); // attempt 1 dials and is refused
    await flush();
    fake.failNextConnect(new TransportError('refused'));
    await clock.tickAsync(200); // attempt 2, refused
    await flush();
    await clock.tickAsync(400); // attempt 3 gets through
    await flush();
    await flush();
    expect(attempts.map((a) => [a.attempt, a.at - started])).to.deep.equal([
      [1, 0],
      [2, 100],
      [3, 300],
    ]);
    expect(connection.actor.getSnapshot().value).to.equal('open');
  });

  it('gives up after maxAttempts failed dials: lost, and its clients end with ConnectionLost', async () => {
    await connection.close();
    connection = await connect('fake://calc', { transports, reconnect: { initialDelayMs: 100, factor: 1, jitter: 0, maxAttempts: 2 } });
    const calc = await connection.service('calc');
    await service.close();
    await flush();
    await clock.tickAsync(100); // dial 1, refused: nobody listens any more
    await flush();
    await clock.tickAsync(100); // dial 2, refused
    await flush();
    await clock.tickAsync(100);
    await flush();
    expect(connection.actor.getSnapshot().value).to.equal('lost');
    expect(await calc.closed).to.be.instanceOf(ConnectionLostError);
    service = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, listen: ['fake://calc'] });
  });

  it('bounds connect() by its timeout while it retries a gateway that is not up', async () => {
    const attempt = connect('fake://nobody', { transports, retry: true, timeout: 1_000, reconnect: { initialDelayMs: 100, jitter: 0 } });
    const failure = rejection(attempt, TimeoutError);
    await clock.tickAsync(1_000);
    await failure;
  });

  it('stops on close() while reconnecting: the client ends with ClosedError, no more dials', async () => {
    const calc = await connection.service('calc');
    const ended = calc.closed;
    clientEnd().drop();
    await flush();
    await connection.close();
    expect(await ended, 'its connection was closed under it').to.be.instanceOf(ClosedError);
    expect(calc.actor.getSnapshot().value).to.equal('ended');
    const linksBefore = fake.links.length;
    await clock.tickAsync(10_000);
    expect(fake.links.length, 'no dial after close').to.equal(linksBefore);
  });
});

describe('a client whose service is gone when its connection comes back', () => {
  it('ends with ServiceGone', async () => {
    const fake = new FakeTransport();
    const transports = new TransportRegistry([fake, new MemoryTransport()]);
    const directory = await createServiceDirectory({ transports, listen: ['memory://gone-on-rebind-sd'] });
    const calc = await createService('calc', { add: (a: number, b: number) => a + b }, { transports, directory: directory.url });
    const gateway = await createGateway({ transports, directory: directory.url, listen: ['fake://gateway'] });
    const connection = await connect('fake://gateway', { transports, reconnect: { initialDelayMs: 10, jitter: 0 } });
    try {
      const client = await connection.service('calc');
      await calc.close();
      // The gateway tells the client its service went (ServiceGone) as soon as it knows; make the link drop first.
      fake.links.filter((link) => link.remote === 'fake://gateway').at(-1)!.drop();
      const reason = await client.closed;
      expect(reason).to.be.instanceOf(ServiceGoneError);
      expect(client.actor.getSnapshot().value).to.equal('ended');
    } finally {
      await connection.close();
      await gateway.close();
      await directory.close();
    }
  });
});

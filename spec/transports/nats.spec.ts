/**
 * What only the nats:// transport does (the link contract it shares with the others is in links.spec.ts): frames
 * past the server's max_payload, credit-window flow control against hostile peers, the open handshake, a peer
 * process that exits, and the NATS server dying under load. Each spec starts its own nats-server on a free
 * loopback port and kills it by PID; without nats-server they skip and say why.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect as natsConnect, headers, type NatsConnection } from '@nats-io/transport-node';
import { connect, ConnectionLostError, createService, type Connection, type Service } from '../../lib/index.js';
import { ClosedError, ProtocolError, TransportError, type QiError } from '../../lib/protocol/errors.js';
import { encodeFrame, MessageType, readHeader } from '../../lib/protocol/header.js';
import { NatsTransport } from '../../lib/transports/nats.js';
import type { Link, Listener } from '../../lib/transports/transport.js';
import { eventually, rejection } from '../helpers.js';
import { within } from '../e2e/topology.js';
import { startNatsServer, type NatsServer, skipWithoutNatsServer } from '../nats-server.js';

const frame = (id: number, size = 4): Uint8Array =>
  encodeFrame({ id, type: MessageType.Post, channel: 1, object: 1, action: 100 }, new Uint8Array(size).fill(id & 0xff));

/** A listener on `url` whose accepted links are handed out in order. */
async function listenAt(transport: NatsTransport, url: string, options = {}): Promise<{ listener: Listener; accepted: () => Promise<Link> }> {
  const waiting: Array<(link: Link) => void> = [];
  const early: Link[] = [];
  const listener = await transport.listen(
    new URL(url),
    (link) => {
      const next = waiting.shift();
      if (next) next(link);
      else early.push(link);
    },
    options,
  );
  return { listener, accepted: () => (early.length > 0 ? Promise.resolve(early.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

function closeReason(link: Link): Promise<QiError> {
  return new Promise((resolve) => link.onClose(resolve));
}

describe('nats:// links', function () {
  this.timeout(20_000);
  let server: NatsServer | undefined;
  const transports: NatsTransport[] = [];
  const listeners: Listener[] = [];
  const links: Link[] = [];
  const raw: NatsConnection[] = [];
  const transport = (options = {}): NatsTransport => {
    const made = new NatsTransport(options);
    transports.push(made);
    return made;
  };

  before(function () {
    skipWithoutNatsServer(this);
  });
  afterEach(async () => {
    for (const link of links.splice(0)) link.close();
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
    await Promise.all(raw.splice(0).map((nc) => nc.close()));
    await server?.stop();
    server = undefined;
  });

  describe('frames and the server', () => {
    it('splits frames larger than max_payload and reassembles them, in order, with small frames between', async () => {
      const store = mkdtempSync(join(tmpdir(), 'qi-nats-conf-'));
      try {
        const conf = join(store, 'small-payload.conf');
        writeFileSync(conf, 'max_payload: 65536\n');
        server = await startNatsServer({ args: ['-c', conf] });
        const t = transport();
        const { listener, accepted } = await listenAt(t, `${server.url}/big.frames`);
        listeners.push(listener);
        const client = await t.connect(new URL(listener.url));
        links.push(client);
        const link = await accepted();
        link.onFrame((f) => link.send(f));
        const sizes = [10, 65_536, 1 << 20, 3, (3 << 20) + 17, 65_536 - 28, 100];
        const back: Uint8Array[] = [];
        client.onFrame((f) => back.push(f.slice()));
        sizes.forEach((size, i) => client.send(frame(i + 1, size)));
        await eventually(() => back.length === sizes.length, 10_000, 'every frame back');
        expect(back.map((f) => readHeader(f).id)).to.deep.equal(sizes.map((_, i) => i + 1));
        back.forEach((f, i) => expect(Buffer.from(f).equals(Buffer.from(frame(i + 1, sizes[i])))).to.equal(true));
      } finally {
        rmSync(store, { recursive: true, force: true });
      }
    });

    it('fails a connect to a subject nobody listens on at once, by the no-responders answer', async () => {
      server = await startNatsServer();
      const started = Date.now();
      const error = await rejection(transport().connect(new URL(`${server.url}/nobody.here`)), TransportError);
      expect(error.message).to.contain("nothing listens on 'nobody.here'");
      expect(Date.now() - started).to.be.below(1_000);
    });

    it('fails a connect to a NATS server that is not there, and a URL without a subject, with TransportError', async () => {
      server = await startNatsServer();
      const port = server.port;
      await server.stop();
      await rejection(transport().connect(new URL(`nats://127.0.0.1:${port}/x`)), TransportError);
      await rejection(transport().connect(new URL(`nats://127.0.0.1:${port}`)), TransportError);
      await rejection(transport().connect(new URL(`nats://127.0.0.1:${port}/a.*`)), TransportError);
    });

    it('gives up a connect when its signal aborts, with ClosedError', async () => {
      server = await startNatsServer();
      const nc = await natsConnect({ servers: `127.0.0.1:${server.port}` });
      raw.push(nc);
      // A listener that never answers the open.
      nc.subscribe('silent.listener', { callback: () => {} });
      await nc.flush();
      const controller = new AbortController();
      const connecting = transport().connect(new URL(`${server.url}/silent.listener`), { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await rejection(connecting, ClosedError);
    });
  });

  describe('hostile peers', () => {
    /** Opens a link by hand, as a hostile peer would: returns the listener's inbox to publish to. */
    async function openByHand(nc: NatsConnection, subject: string, window = 1 << 20): Promise<{ peer: string; inbox: string }> {
      const inbox = `_QI.hostile.${Math.random().toString(36).slice(2)}`;
      nc.subscribe(inbox, { callback: () => {} });
      const h = headers();
      h.set('Qi-Link', 'open');
      h.set('Qi-Inbox', inbox);
      h.set('Qi-Window', String(window));
      const reply = await nc.request(subject, undefined, { headers: h, timeout: 2_000 });
      expect(reply.headers?.get('Qi-Link')).to.equal('accept');
      return { peer: reply.headers!.get('Qi-Inbox'), inbox };
    }

    it('closes a link whose frame is over the listener maxBodySize with ProtocolError, and keeps another link of the listener', async () => {
      server = await startNatsServer();
      const t = transport();
      const { listener, accepted } = await listenAt(t, `${server.url}/limited`, { maxBodySize: 1024 });
      listeners.push(listener);
      const bad = await t.connect(new URL(listener.url));
      const badServer = await accepted();
      const good = await t.connect(new URL(listener.url));
      const goodServer = await accepted();
      links.push(bad, good);
      const serverReason = closeReason(badServer);
      const clientReason = closeReason(bad);
      bad.send(frame(1, 4096));
      expect(await within(serverReason, 2_000, 'the bad link to close')).to.be.instanceOf(ProtocolError);
      const seen = await within(clientReason, 2_000, 'the bad client to be told');
      expect(seen).to.be.instanceOf(ConnectionLostError);
      expect(seen.message).to.contain('body');
      const got: number[] = [];
      goodServer.onFrame((f) => got.push(readHeader(f).id));
      good.send(frame(7, 512));
      await eventually(() => got.length === 1, 2_000, 'the other link to carry on');
      expect(goodServer.closed).to.equal(false);
    });

    it('closes a link that sends garbage, or more than its window while paused, with ProtocolError', async () => {
      server = await startNatsServer();
      const t = transport({ window: 64 << 10 });
      const { listener, accepted } = await listenAt(t, `${server.url}/hostile`);
      listeners.push(listener);
      const nc = await natsConnect({ servers: `127.0.0.1:${server.port}` });
      raw.push(nc);

      const garbage = await openByHand(nc, 'hostile');
      const garbageLink = await accepted();
      garbageLink.onFrame(() => {});
      const garbageReason = closeReason(garbageLink);
      nc.publish(garbage.peer, new Uint8Array(64).fill(0xee));
      expect(await within(garbageReason, 2_000, 'the garbage link to close')).to.be.instanceOf(ProtocolError);

      const greedy = await openByHand(nc, 'hostile');
      const greedyLink = await accepted();
      greedyLink.onFrame(() => {});
      // A reader that does not read grants nothing more: what it holds is bounded by the window.
      greedyLink.pause();
      const greedyReason = closeReason(greedyLink);
      // Whole, valid frames, but past the 64 KiB granted.
      for (let i = 0; i < 20; i++) nc.publish(greedy.peer, frame(i, 8 << 10));
      const reason = await within(greedyReason, 2_000, 'the greedy link to close');
      expect(reason).to.be.instanceOf(ProtocolError);
      expect(reason.message).to.contain('window');
    });

    it('answers a malformed open with a refusal and opens no link', async () => {
      server = await startNatsServer();
      let opened = 0;
      const listener = await transport().listen(new URL(`${server.url}/picky`), () => opened++);
      listeners.push(listener);
      const nc = await natsConnect({ servers: `127.0.0.1:${server.port}` });
      raw.push(nc);
      const h = headers();
      h.set('Qi-Link', 'open');
      h.set('Qi-Inbox', 'a.*.wildcard');
      const reply = await nc.request('picky', undefined, { headers: h, timeout: 2_000 });
      expect(reply.headers?.get('Qi-Link')).to.equal('refuse');
      const plain = await nc.request('picky', new Uint8Array([1, 2, 3]), { timeout: 2_000 });
      expect(plain.headers?.get('Qi-Link')).to.equal('refuse');
      expect(opened).to.equal(0);
    });
  });

  describe('flow control', () => {
    it('holds frames past the window while the peer is paused, and sends them once it resumes', async () => {
      server = await startNatsServer();
      const t = transport({ window: 64 << 10 });
      const { listener, accepted } = await listenAt(t, `${server.url}/window`);
      listeners.push(listener);
      const client = await t.connect(new URL(listener.url));
      links.push(client);
      const link = await accepted();
      const got: number[] = [];
      link.onFrame((f) => got.push(readHeader(f).id));
      link.pause();
      for (let i = 1; i <= 64; i++) client.send(frame(i, 8 << 10));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(got).to.deep.equal([]);
      // At most the window is in flight; the rest waits on the sending side, where the limits count it.
      expect(client.bufferedBytes).to.be.within((64 - 9) * (8 << 10), 64 * ((8 << 10) + 28));
      expect(client.congested).to.equal(false);
      link.resume();
      await eventually(() => got.length === 64, 5_000, 'the held frames');
      expect(got).to.deep.equal(Array.from({ length: 64 }, (_, i) => i + 1));
      expect(client.bufferedBytes).to.equal(0);
    });
  });

  describe('peers and the NATS server going away', () => {
    const children = new Set<ChildProcess>();
    afterEach(() => {
      for (const child of children) child.kill('SIGKILL');
      children.clear();
    });

    it('notices a peer process that was killed (no responders on its inbox), within a probe interval or two', async () => {
      server = await startNatsServer();
      const child = spawn(process.execPath, ['--import', 'tsx', 'spec/transports/nats-peer-process.ts', `${server.url}/peer.process`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.add(child);
      const [line] = (await within(once(createInterface({ input: child.stdout! }), 'line'), 10_000, 'the peer process')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      const link = await transport({ probeIntervalMs: 200 }).connect(new URL(url));
      links.push(link);
      const echoed: number[] = [];
      link.onFrame((f) => echoed.push(readHeader(f).id));
      link.send(frame(1));
      await eventually(() => echoed.length === 1, 2_000, 'the echo');
      const reason = closeReason(link);
      const killed = Date.now();
      child.kill('SIGKILL');
      const why = await within(reason, 2_000, 'the link to notice');
      expect(why).to.be.instanceOf(ConnectionLostError);
      expect(why.message).to.contain('no responders');
      expect(Date.now() - killed).to.be.below(1_500);
    });

    it('closes every link with ConnectionLost when the NATS server dies under load; pending calls fail promptly; all comes back after', async () => {
      server = await startNatsServer();
      let service: Service | undefined;
      let connection: Connection | undefined;
      try {
        const calc = { add: (a: number, b: number) => a + b, hang: () => new Promise<never>(() => {}) };
        service = await createService('calc', calc, { listen: [`${server.url}/calc.service`], reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
        connection = await connect(service.endpoints[0]!, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
        const proxy = await connection.service('calc');
        expect(await proxy.call('add', 1, 2)).to.equal(3);
        const hanging = Array.from({ length: 200 }, () => proxy.call('hang').then(() => 'answered', (err: unknown) => err));
        let load = true;
        const loadDone = (async () => {
          while (load) await proxy.call('add', 1, 1).catch(() => undefined);
        })();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const killed = Date.now();
        await server.stop('SIGKILL');
        const outcomes = await within(Promise.all(hanging), 3_000, 'the pending calls');
        expect(Date.now() - killed, 'pending calls fail promptly').to.be.below(1_500);
        for (const outcome of outcomes) expect(outcome).to.be.instanceOf(ConnectionLostError);
        await server.restart();
        // The connection rebinds by itself once NATS is back.
        expect(await within(proxy.call('add', 2, 3), 8_000, 'a call after NATS came back')).to.equal(5);
        load = false;
        await within(loadDone, 2_000, 'the load loop');
      } finally {
        await connection?.close();
        await service?.close();
      }
    });

    it('keeps a listener across a NATS restart: new links open once the connection is back', async () => {
      server = await startNatsServer();
      const t = transport();
      const { listener, accepted } = await listenAt(t, `${server.url}/stays`);
      listeners.push(listener);
      const first = await t.connect(new URL(listener.url));
      await accepted();
      const lost = closeReason(first);
      await server.restart();
      expect(await within(lost, 2_000, 'the link to close')).to.be.instanceOf(ConnectionLostError);
      await eventually(() => true);
      let link: Link | undefined;
      for (const deadline = Date.now() + 5_000; !link && Date.now() < deadline; ) {
        link = await t.connect(new URL(listener.url)).catch(() => undefined);
        if (!link) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(link, 'a new link after the restart').to.not.equal(undefined);
      links.push(link!);
      const server2 = await accepted();
      const got: number[] = [];
      server2.onFrame((f) => got.push(readHeader(f).id));
      link!.send(frame(5));
      await eventually(() => got.length === 1, 2_000, 'a frame on the new link');
    });
  });
});

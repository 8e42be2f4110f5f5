/** Attacks 5a–5b: links that hold half a frame, or send one a byte at a time. */
import { HEADER_SIZE, MessageType, startFrame } from '../../lib/protocol/header.js';
import { capabilityFrame } from '../../spec/helpers.js';
import { allClosed, openMany } from './raw-peer.js';
import { ask, MiB, phase, sleep, type Attack, mb } from './harness.js';

export const slowLinkAttacks: Attack[] = [
  {
    key: 'half-header',
    name: '5a. 500 links that send half a header after the handshake',
    async run({ urls, robot }) {
      const peers = await openMany(urls.gateway, 500, true);
      const setup = await phase(robot);
      const start = performance.now();
      const half = startFrame(MessageType.Call, 1, 1, 1, 100, 64).subarray(0, 14);
      for (const peer of peers) peer.send(half);
      const { closed, firstMs, lastMs } = await allClosed(peers, start, 15_000);
      for (const peer of peers) peer.close();
      return { what: `${closed} of 500 closed by the gateway (heartbeat: 1 s interval, 1 missed); opening the 500 links (handshakes, 50 at a time) stalled it ${setup.maxStallMs.toFixed(0)} ms, the stall column is the half headers and the closes`, time: `${(firstMs / 1000).toFixed(1)}–${(lastMs / 1000).toFixed(1)} s after the half header` };
    },
  },
  {
    key: 'half-header-pre',
    name: '5a. 500 links that send half a header before the handshake',
    async run({ urls }) {
      const peers = await openMany(urls.gateway, 500, false);
      const start = performance.now();
      for (const peer of peers) peer.send(capabilityFrame(0).subarray(0, 14));
      const { closed, firstMs, lastMs } = await allClosed(peers, start, 15_000);
      for (const peer of peers) peer.close();
      return { what: `${closed} of 500 closed by the gateway (handshakeTimeoutMs 10 s)`, time: `${(firstMs / 1000).toFixed(1)}–${(lastMs / 1000).toFixed(1)} s` };
    },
  },
  ...[10_000, 2_000].map(
    (timeout): Attack => ({
      key: `ws-upgrade-${timeout}`,
      name: `5a. 200 half-finished WebSocket upgrades (upgradeTimeoutMs ${timeout.toLocaleString('en')}${timeout === 10_000 ? ', the default' : ''})`,
      robot: timeout === 10_000 ? {} : { upgradeTimeoutMs: timeout },
      async run({ urls }) {
        const peers = await openMany(urls.ws.replace(/^ws:/, 'tcp:'), 200, false);
        const start = performance.now();
        const firstBytes: string[] = [];
        for (const peer of peers) {
          peer.socket.removeAllListeners('data');
          peer.socket.once('data', (chunk: Buffer) => firstBytes.push(chunk.toString('latin1').split('\r\n')[0]!));
          peer.send(Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'));
        }
        const { closed, firstMs, lastMs } = await allClosed(peers, start, timeout + 8_000);
        for (const peer of peers) peer.close();
        return { what: `${closed} of 200 closed by the listener${firstBytes.length ? ` (answered “${firstBytes[0]}” ×${firstBytes.length})` : ', no answer'}`, time: `${(firstMs / 1000).toFixed(1)}–${(lastMs / 1000).toFixed(1)} s` };
      },
    }),
  ),
  {
    key: 'one-byte',
    name: '5b. one-byte writes of a 4 MiB frame (20 links, one byte per link per tick, TCP_NODELAY)',
    async run({ urls, robot }) {
      const peers = await openMany(urls.gateway, 20, true);
      const before = await ask<{ heap: number; buffers: number }>(robot, { cmd: 'mem' });
      const start = performance.now();
      const header = startFrame(MessageType.Call, 1, 1, 1, 100, 4 * MiB).subarray(0, HEADER_SIZE);
      for (const peer of peers) peer.send(header);
      let sent = 0;
      let held: { sent: number; bytes: number } | undefined;
      const byte = Uint8Array.of(7);
      while (peers.some((peer) => !peer.isClosed) && performance.now() - start < 15_000) {
        for (const peer of peers) if (!peer.isClosed && peer.send(byte)) sent++;
        await new Promise((resolve) => setImmediate(resolve));
        if (!held && performance.now() - start > 1_500) {
          // Still inside the heartbeat's 2 s: what the gateway holds for the trickled frames, after gc.
          const now = await ask<{ heap: number; buffers: number }>(robot, { cmd: 'mem' });
          held = { sent, bytes: now.heap + now.buffers - before.heap - before.buffers };
        }
      }
      const end = performance.now();
      const perByte = held ? (held.bytes / held.sent).toFixed(1) : '–';
      return {
        what: `${sent.toLocaleString('en')} one-byte writes before all 20 links were closed (heartbeat); at 1.5 s, after gc, the gateway held ${held ? (held.bytes / 1024).toFixed(0) : '–'} KiB (heap + buffers) for ${held?.sent.toLocaleString('en')} bytes sent: ${perByte} B per byte (was 63–125)`,
        time: `${((end - start) / 1000).toFixed(1)} s to the last close`,
      };
    },
  },
  {
    key: 'slow-bodies',
    name: '5b. 200 links each declaring a 16 MiB body, sent at 160 KiB/s each (16 KiB every 100 ms)',
    async run({ urls }) {
      const peers = await openMany(urls.gateway, 200, true);
      const start = performance.now();
      const header = startFrame(MessageType.Call, 1, 1, 1, 100, 16 * MiB).subarray(0, HEADER_SIZE);
      for (const peer of peers) peer.send(header);
      const piece = new Uint8Array(16 << 10).fill(1);
      let sent = 0;
      while (peers.some((peer) => !peer.isClosed) && performance.now() - start < 20_000) {
        for (const peer of peers) if (!peer.isClosed) (peer.send(piece), (sent += piece.length));
        await sleep(100);
      }
      const { closed, lastMs } = await allClosed(peers, start, 0);
      for (const peer of peers) peer.close();
      return { what: `${closed} of 200 closed by the gateway after ${mb(sent)} MB sent in all (heartbeat: no complete frame)`, time: `${(lastMs / 1000).toFixed(1)} s to the last close` };
    },
  },
];

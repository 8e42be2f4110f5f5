/**
 * The baseline of ws-gateway-throughput: the raw three-process relay of raw-relay.ts over the `ws` package. Frames
 * are a 4-byte little-endian length and a payload; a tick's frames for one socket travel as one binary message, and
 * a frame never spans two messages, as lib/transports/websocket-link.ts does. No compression, as ours.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { frame } from './raw-relay.js';

/** Gathers a tick's frames for one WebSocket and sends them as one message (once the socket is open). */
class CoalescingSender {
  private queue: Buffer[] = [];
  private scheduled = false;
  constructor(private readonly socket: WebSocket) {
    if (socket.readyState !== WebSocket.OPEN) socket.once('open', () => this.flush());
  }
  send(f: Buffer): void {
    this.queue.push(f);
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => {
      this.scheduled = false;
      this.flush();
    });
  }
  private flush(): void {
    if (this.socket.readyState !== WebSocket.OPEN || this.queue.length === 0) return;
    const frames = this.queue;
    this.queue = [];
    this.socket.send(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }
}

/** Calls `onFrame` for each whole frame of one message. */
function eachFrame(data: RawData, onFrame: (f: Buffer) => void): void {
  const message = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  for (let offset = 0; offset + 4 <= message.length; ) {
    const end = offset + 4 + message.readUInt32LE(offset);
    onFrame(message.subarray(offset, end));
    offset = end;
  }
}

const options = { perMessageDeflate: false } as const;

function listen(onConnection: (socket: WebSocket) => void): Promise<number> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  server.on('connection', onConnection);
  return new Promise((resolve) => server.once('listening', () => resolve((server.address() as AddressInfo).port)));
}

export function startWsEchoServer(): Promise<number> {
  return listen((socket) => {
    const sender = new CoalescingSender(socket);
    socket.on('message', (data) => eachFrame(data, (f) => sender.send(f)));
    socket.on('error', () => socket.terminate());
  });
}

/** One upstream WebSocket per client, frames forwarded whole both ways. */
export function startWsRelay(upstreamPort: number): Promise<number> {
  return listen((client) => {
    const upstream = new WebSocket(`ws://127.0.0.1:${upstreamPort}/`, options);
    const toUpstream = new CoalescingSender(upstream);
    const toClient = new CoalescingSender(client);
    client.on('message', (data) => eachFrame(data, (f) => toUpstream.send(f)));
    upstream.on('message', (data) => eachFrame(data, (f) => toClient.send(f)));
    const close = (): void => {
      client.terminate();
      upstream.terminate();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
}

/** A raw client: sends frames and resolves each in order of reply. */
export async function rawWsClient(port: number): Promise<{ call(payload: Buffer): Promise<Buffer>; close(): void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`, options);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const sender = new CoalescingSender(socket);
  const waiting: Array<(reply: Buffer) => void> = [];
  socket.on('message', (data) => eachFrame(data, (f) => waiting.shift()?.(f)));
  return {
    call(payload) {
      return new Promise<Buffer>((resolve) => {
        waiting.push(resolve);
        sender.send(frame(payload));
      });
    },
    close: () => socket.terminate(),
  };
}

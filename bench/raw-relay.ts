/**
 * The baseline: the same three-process topology with no library. Frames are a 4-byte little-endian length and a
 * payload; each process parses whole frames and writes a tick's output in one `write`, as qimessaging does.
 */
import net from 'node:net';

/**
 * Splits a byte stream into length-prefixed frames. Chunks are gathered until a frame is complete and joined
 * once, so a large frame costs one copy, not one per chunk: a baseline as good as the library's own decoder.
 */
export class LengthPrefixedReader {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private needed = 4;
  constructor(private readonly onFrame: (frame: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < this.needed) return;
    let buffered = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bufferedBytes);
    let offset = 0;
    while (buffered.length - offset >= 4) {
      const size = buffered.readUInt32LE(offset);
      if (buffered.length - offset - 4 < size) {
        this.needed = 4 + size;
        break;
      }
      this.onFrame(buffered.subarray(offset, offset + 4 + size));
      offset += 4 + size;
      this.needed = 4;
    }
    buffered = buffered.subarray(offset);
    this.chunks = buffered.length > 0 ? [buffered] : [];
    this.bufferedBytes = buffered.length;
  }
}

/** Gathers a tick's frames for one socket and writes them at once. */
export class CoalescingWriter {
  private queue: Buffer[] = [];
  private scheduled = false;
  constructor(private readonly socket: net.Socket) {}
  write(frame: Buffer): void {
    this.queue.push(frame);
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => {
      this.scheduled = false;
      const frames = this.queue;
      this.queue = [];
      this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
    });
  }
}

export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32LE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/** Echo server: every frame back to its sender. */
export function startEchoServer(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const writer = new CoalescingWriter(socket);
    const reader = new LengthPrefixedReader((f) => writer.write(f));
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => socket.destroy());
  });
  return listen(server);
}

/** Relay: one upstream socket per client, frames forwarded whole both ways. */
export function startRelay(upstreamPort: number): Promise<number> {
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    upstream.setNoDelay(true);
    const toUpstream = new CoalescingWriter(upstream);
    const toClient = new CoalescingWriter(client);
    const fromClient = new LengthPrefixedReader((f) => toUpstream.write(f));
    const fromUpstream = new LengthPrefixedReader((f) => toClient.write(f));
    client.on('data', (chunk: Buffer) => fromClient.push(chunk));
    upstream.on('data', (chunk: Buffer) => fromUpstream.push(chunk));
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  return listen(server);
}

/** A raw client: sends frames and resolves each in order of reply. */
export async function rawClient(port: number): Promise<{ call(payload: Buffer): Promise<Buffer>; close(): void }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const writer = new CoalescingWriter(socket);
  const waiting: Array<(reply: Buffer) => void> = [];
  const reader = new LengthPrefixedReader((f) => waiting.shift()?.(f));
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  return {
    call(payload) {
      return new Promise<Buffer>((resolve) => {
        waiting.push(resolve);
        writer.write(frame(payload));
      });
    },
    close: () => socket.destroy(),
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A raw peer for bench/attacks.ts: a TCP socket speaking frames by hand, to send what no client would. */
import { once } from 'node:events';
import net from 'node:net';
import { decodeBody, encodeBody } from '../../lib/protocol/codec.js';
import { CONTROL_CHANNEL, ControlAction } from '../../lib/protocol/control.js';
import { FrameDecoder } from '../../lib/protocol/frame-decoder.js';
import { encodeFrame, HEADER_SIZE, MessageType, readHeader } from '../../lib/protocol/header.js';
import { capabilityFrame } from '../../spec/helpers.js';
import { MiB, sleep } from './harness.js';


export interface Answer {
  type: number;
  body: unknown;
}

export class RawPeer {
  readonly closed: Promise<number>;
  /** The message of the last Error frame nobody waited for (what a refusal said). */
  lastError: string | undefined;
  isClosed = false;
  private readonly decoder = new FrameDecoder({ maxBodySize: 64 * MiB });
  private readonly waiters = new Map<number, (answer: Answer) => void>();
  private capability: (() => void) | undefined;
  private nextId = 1;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve(performance.now());
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (frame) => this.onFrame(frame));
      } catch {
        socket.destroy();
      }
    });
  }

  static async open(url: string): Promise<RawPeer> {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  send(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  async handshake(): Promise<void> {
    const capability = new Promise<void>((resolve) => (this.capability = resolve));
    this.send(capabilityFrame(0));
    await capability;
  }

  request(channel: number, object: number, action: number, body: Uint8Array): Promise<Answer> {
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve) => this.waiters.set(id, resolve));
    this.send(encodeFrame({ id, type: MessageType.Call, channel, object, action }, body));
    return answer;
  }

  /** Binds `name`: its channel and its methods' ids by name. */
  async bind(name: string): Promise<{ channel: number; methods: Map<string, number> }> {
    const answer = await this.request(CONTROL_CHANNEL, 0, ControlAction.bind, encodeBody({ name }));
    const reply = answer.body as { channel: number; metaObject: { methods: Array<{ name: string; id: number }> } };
    return { channel: reply.channel, methods: new Map(reply.metaObject.methods.map((m) => [m.name, m.id])) };
  }

  close(): void {
    this.socket.destroy();
  }

  private onFrame(frame: Uint8Array): void {
    const header = readHeader(frame);
    if (header.type === MessageType.Capability) {
      this.capability?.();
      return;
    }
    const waiter = this.waiters.get(header.id);
    if (waiter && (header.type === MessageType.Reply || header.type === MessageType.Error)) {
      this.waiters.delete(header.id);
      waiter({ type: header.type, body: decodeBody(frame.subarray(HEADER_SIZE)) });
    } else if (header.type === MessageType.Error) {
      const body = decodeBody(frame.subarray(HEADER_SIZE)) as { code?: string; message?: string };
      this.lastError = `${body.code}: ${body.message}`;
    }
  }
}

export async function openMany(url: string, count: number, handshake: boolean): Promise<RawPeer[]> {
  const peers: RawPeer[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => RawPeer.open(url)));
    if (handshake) await Promise.all(batch.map((peer) => peer.handshake()));
    peers.push(...batch);
  }
  return peers;
}

/** Resolves when every peer is closed (or after `ms`): how many closed and when the last did, from `since`. */
export async function allClosed(peers: RawPeer[], since: number, ms: number): Promise<{ closed: number; lastMs: number; firstMs: number }> {
  const times: number[] = [];
  await Promise.race([Promise.all(peers.map((peer) => peer.closed.then((t) => times.push(t - since)))), sleep(ms)]);
  return { closed: times.length, lastMs: Math.max(0, ...times), firstMs: times.length ? Math.min(...times) : NaN };
}


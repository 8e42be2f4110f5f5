/**
 * A link over a WebSocket: Node's `ws` or a browser's own WebSocket (this file imports neither). A tick's frames
 * travel as one binary message, so a burst costs one send; a message never exceeds one maximal frame, so the
 * receiver can cap message size (ws `maxPayload`) at the frame limit, and a frame never spans two messages.
 * Congestion is `bufferedAmount` above a high-water mark; a browser cannot pause reading, so `pause` is a no-op there.
 */
import { ClosedError, ConnectionLostError, ProtocolError, TransportError, type QiError } from '../protocol/errors.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { DEFAULT_MAX_BODY_SIZE, HEADER_SIZE } from '../protocol/header.js';
import { BaseLink } from './base-link.js';
import type { ConnectOptions, Link, LinkOptions } from './transport.js';

/** What both `ws`'s WebSocket and the browser's provide. */
export interface WebSocketLike {
  readonly bufferedAmount: number;
  readonly readyState: number;
  binaryType: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  addEventListener(type: 'open', listener: () => void): void;
  /** Node's ws only. */
  pause?(): void;
  resume?(): void;
  terminate?(): void;
}

const HIGH_WATER_MARK = 1 << 20;
const DRAIN_POLL_MS = 5;
/** WebSocket close code for a protocol error (RFC 6455). */
const CLOSE_PROTOCOL_ERROR = 1002;

export class WebSocketLink extends BaseLink {
  private readonly decoder: FrameDecoder;
  private readonly maxMessage: number;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: WebSocketLike,
    remote: string,
    options: LinkOptions = {},
  ) {
    super(remote, options);
    const maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
    this.maxMessage = maxBodySize + HEADER_SIZE;
    this.decoder = new FrameDecoder({ maxBodySize });
    // Node's ws can hand over its Buffer without a copy; browsers only offer ArrayBuffer.
    socket.binaryType = typeof socket.pause === 'function' ? 'nodebuffer' : 'arraybuffer';
    socket.addEventListener('message', (event) => this.onMessage(event.data));
    socket.addEventListener('close', (event) => {
      const why = event.reason ? `: ${event.reason}` : '';
      this.lost(new ConnectionLostError(`websocket link to ${remote} closed by peer (${event.code}${why})`));
    });
    // ws reports a peer's protocol violations (oversize message, bad framing) as errors too, with a message.
    socket.addEventListener('error', (event) =>
      this.lost(new ConnectionLostError(`websocket link to ${remote} failed${event.message ? `: ${event.message}` : ''}`)),
    );
  }

  /** Also when this tick's frames alone pass the mark (see TcpLink.congested). */
  override get congested(): boolean {
    return this.socket.bufferedAmount > HIGH_WATER_MARK || this.queuedBytes > HIGH_WATER_MARK;
  }

  override onDrain(handler: () => void): void {
    super.onDrain(handler);
    // WebSockets have no drain event: watch bufferedAmount while someone waits.
    if (this.congested && !this.drainTimer) this.watchDrain();
  }

  /** Node's ws only: a browser cannot stop reading, so there frames keep coming (and are delivered). */
  pause(): void {
    if (!this.socket.pause) return;
    this.decoder.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.decoder.paused) return;
    this.socket.resume?.();
    try {
      this.decoder.resume(this.onFrameBound);
      this.checkWholeMessages();
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
    }
  }

  protected override backlog(): number {
    return this.socket.bufferedAmount;
  }

  protected writeFrames(frames: Uint8Array[]): void {
    let batch: Uint8Array[] = [];
    let size = 0;
    for (const frame of frames) {
      if (size > 0 && size + frame.length > this.maxMessage) {
        this.socket.send(concat(batch, size));
        batch = [];
        size = 0;
      }
      batch.push(frame);
      size += frame.length;
    }
    if (size > 0) this.socket.send(batch.length === 1 ? batch[0]! : concat(batch, size));
  }

  protected closeTransport(reason: QiError): void {
    clearTimeout(this.drainTimer);
    if (reason instanceof ClosedError) this.socket.close(1000, 'closed');
    else if (reason instanceof ProtocolError) this.socket.close(CLOSE_PROTOCOL_ERROR, reason.message.slice(0, 120));
    else if (this.socket.terminate) this.socket.terminate();
    else this.socket.close();
  }

  private onMessage(data: unknown): void {
    const bytes = toBytes(data);
    if (!bytes) {
      this.close(new ProtocolError('text WebSocket messages are not part of this protocol'));
      return;
    }
    try {
      this.decoder.push(bytes, this.onFrameBound);
      this.checkWholeMessages();
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
    }
  }

  /** What the decoder holds once it has handed out every frame must be nothing: a frame never spans messages. */
  private checkWholeMessages(): void {
    if (!this.decoder.paused && this.decoder.pendingBytes > 0) throw new ProtocolError('a frame must not span WebSocket messages');
  }

  private readonly onFrameBound = (frame: Uint8Array): void => this.deliver(frame);

  private watchDrain(): void {
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.closed) return;
      if (this.congested) this.watchDrain();
      else this.drained();
    }, DRAIN_POLL_MS);
  }
}

/**
 * Waits for `socket` to open and wraps it in a link; rejects with TransportError if it fails first, or ClosedError
 * if `signal` aborts. Works with `ws` and with a browser's WebSocket.
 */
export function openWebSocketLink(socket: WebSocketLike, url: URL, scheme: string, options: ConnectOptions = {}): Promise<Link> {
  return new Promise<Link>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: Error): void =>
      settle(() => {
        socket.close();
        reject(error);
      });
    const onAbort = (): void => fail(new ClosedError(`connect to ${url.href} aborted`));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // ws says why (ECONNREFUSED, a 404 answer, a TLS failure); a browser's error event says nothing.
    socket.addEventListener('error', (event) => fail(new TransportError(`cannot connect to ${url.href}${event.message ? `: ${event.message}` : ''}`)));
    socket.addEventListener('close', (event) => fail(new TransportError(`cannot connect to ${url.href}: closed (${event.code})`)));
    socket.addEventListener('open', () => settle(() => resolve(new WebSocketLink(socket, `${scheme}://${url.host}${url.pathname}`, options))));
  });
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

function concat(frames: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

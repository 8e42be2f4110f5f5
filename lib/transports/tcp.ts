/**
 * `tcp://host:port` over node:net. Nagle is off (`noDelay`), a tick's frames go out in one `write` of one
 * combined buffer (the later ticks of one event-loop iteration in one more: poll-phase-flush.ts), and backpressure
 * is honoured: `congested` is true while the socket holds more than its high-water mark (or this tick's frames
 * alone pass it), and `pause()` stops reading, at once, so a slow consumer slows its producer instead of buffering.
 */
import net from 'node:net';
import { ClosedError, ConnectionLostError, ProtocolError, type QiError } from '../protocol/errors.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { gatherFrames } from '../protocol/header.js';
import { BaseLink } from './base-link.js';
import { PollPhaseFlush } from './poll-phase-flush.js';
import { formatHost, serveSockets, whenConnected } from './sockets.js';
import { hostAndPort } from './url.js';
import type { ConnectOptions, Link, LinkOptions, Listener, ListenOptions, Transport } from './transport.js';

/**
 * Frames queued in one tick past this make the link congested before the socket knows of them. Well above the
 * socket's own mark (16 KiB): a window of small calls queues tens of KB per tick, and pausing its source each
 * tick for that cost the gateway 40% of its throughput; one read answered with large replies is stopped after ~1 MiB.
 */
const QUEUED_HIGH_WATER_MARK = 1 << 20;

/** How long a closing link waits for the peer to close its side before destroying the socket. */
const END_GRACE_MS = 2_000;

export class TcpLink extends BaseLink {
  private readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  private readonly onFrameBound = (frame: Uint8Array): void => this.deliver(frame);
  private readonly flushes = new PollPhaseFlush();

  constructor(socket: net.Socket, remote: string, options: LinkOptions = {}) {
    super(remote, options);
    this.socket = socket;
    this.decoder = new FrameDecoder({ maxBodySize: options.maxBodySize, protocolVersion: options.protocolVersion });
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('drain', () => this.drained());
    socket.on('error', (err) => this.lost(new ConnectionLostError(`tcp link to ${remote} failed: ${err.message}`)));
    socket.on('close', () => {
      const cut = this.decoder.pendingBytes > 0 ? ` with ${this.decoder.pendingBytes} bytes of a partial frame` : '';
      this.lost(new ConnectionLostError(`tcp link to ${remote} closed by peer${cut}`));
    });
  }

  /**
   * The socket needs a drain, or the frames queued this tick pass QUEUED_HIGH_WATER_MARK: those are written only
   * on the next tick, and a tick that answers one read's worth of calls could queue megabytes before the socket
   * reports anything. (If the socket then takes them at once, the flush runs the drain handlers: BaseLink.)
   */
  override get congested(): boolean {
    return this.socket.writableNeedDrain || this.queuedBytes >= QUEUED_HIGH_WATER_MARK;
  }

  pause(): void {
    this.decoder.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.decoder.paused) return;
    this.socket.resume();
    try {
      this.decoder.resume(this.onFrameBound);
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
    }
  }

  protected override scheduleFlush(flush: () => void, firstFrameBytes: number): void {
    this.flushes.schedule(flush, firstFrameBytes);
  }

  protected override backlog(): number {
    return this.socket.writableLength;
  }

  protected writeFrames(frames: Uint8Array[], bytes: number): void {
    if (this.socket.destroyed) return;
    this.socket.write(gatherFrames(frames, bytes));
  }

  protected closeTransport(reason: QiError): void {
    // A local close lets written data drain (end); a failure or protocol violation cuts the link at once.
    if (!(reason instanceof ClosedError)) {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    // end() only half-closes: a peer that never closes its side would hold the socket (and a listener's close())
    // forever. Give it a grace period, then cut.
    const timer = setTimeout(() => this.socket.destroy(), END_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.decoder.push(chunk, this.onFrameBound);
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
    }
  };
}

export class TcpTransport implements Transport {
  readonly scheme = 'tcp';

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    const { host, port } = hostAndPort(url);
    if (options.signal?.aborted) throw new ClosedError(`connect to ${url.href} aborted`);
    const socket = await whenConnected(net.connect({ host, port }), 'connect', url, options.signal);
    return new TcpLink(socket, `tcp://${formatHost(host)}:${port}`, options);
  }

  async listen(url: URL, onLink: (link: Link) => void, options: ListenOptions = {}): Promise<Listener> {
    const where = hostAndPort(url, { allowZeroPort: true });
    return serveSockets<net.Socket>(net.createServer(), 'tcp', url, where, 'connection', (socket, remote) => new TcpLink(socket, remote, options), onLink);
  }
}

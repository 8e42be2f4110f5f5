/**
 * `memory://name`: links inside one process, the embedded default. Frames are handed over by reference (no copy,
 * no encoding), a tick's frames in one batch, so the cost of a hop is a function call. Each MemoryTransport has its
 * own namespace of names; `defaultTransports()` shares one per process.
 */
import { ClosedError, ConnectionLostError, type QiError } from '../protocol/errors.js';
import { BaseLink } from './base-link.js';
import { scheduleInProcessFlush } from './chain-budget.js';
import { InProcessEndpoints } from './in-process-endpoints.js';
import type { ConnectOptions, Link, LinkOptions, Listener, ListenOptions, Transport } from './transport.js';
import { nanoid } from 'nanoid';

class MemoryLink extends BaseLink {
  readonly inProcess = true;
  peer: MemoryLink | undefined;
  /** Lets the listener forget this link once it closes, whoever closes it. */
  release: (() => void) | undefined;
  private paused = false;
  private inbox: Uint8Array[] = [];
  /** Bytes of the frames in `inbox`: what the peer sent and this end has not read, so the peer's backlog. */
  inboxBytes = 0;

  constructor(remote: string, options: LinkOptions = {}) {
    super(remote, options);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const frames = this.inbox;
    this.inbox = [];
    this.inboxBytes = 0;
    this.receive(frames);
  }

  receive(frames: Uint8Array[]): void {
    for (let i = 0; i < frames.length; i++) {
      if (this.paused) {
        for (; i < frames.length; i++) this.hold(frames[i]!);
        return;
      }
      this.deliver(frames[i]!);
    }
  }

  peerClosed(): void {
    this.lost(new ConnectionLostError(`memory link to ${this.remote} closed by peer`));
  }

  /** After the current job, unless in-process flushes have held the event loop too long (chain-budget.ts). */
  protected override scheduleFlush(flush: () => void): void {
    scheduleInProcessFlush(flush);
  }

  protected writeFrames(frames: Uint8Array[]): void {
    this.peer?.receive(frames);
  }

  /** What this end sent that its peer has not read (it paused): counted against this end's limit. */
  protected override backlog(): number {
    return this.peer?.inboxBytes ?? 0;
  }

  private hold(frame: Uint8Array): void {
    this.inbox.push(frame);
    this.inboxBytes += frame.length;
  }

  protected closeTransport(_reason: QiError): void {
    this.release?.();
    const peer = this.peer;
    this.peer = undefined;
    // The peer learns of the close after the frames already in flight, as over a socket (this end's were flushed
    // before closeTransport; the scheduler keeps its order with any other link's flush it deferred).
    if (peer) scheduleInProcessFlush(() => peer.peerClosed());
  }
}

export class MemoryTransport implements Transport {
  readonly scheme = 'memory';
  private readonly endpoints = new InProcessEndpoints<MemoryLink>('memory');

  async listen(url: URL, onLink: (link: Link) => void, options?: ListenOptions): Promise<Listener> {
    return this.endpoints.listen(url, onLink, options);
  }

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    if (options.signal?.aborted) throw new ClosedError(`connect to ${url.href} aborted`);
    const endpoint = this.endpoints.find(url);
    const client = new MemoryLink(`memory://${endpoint.name}`);
    const server = new MemoryLink(`memory://client-${nanoid(6)}`, endpoint.options);
    client.peer = server;
    server.peer = client;
    server.release = endpoint.accept(server);
    return client;
  }
}

/**
 * `memory://name`: links inside one process, the embedded default. Frames are handed over by reference (no copy,
 * no encoding), a tick's frames in one batch, so the cost of a hop is a function call. Each MemoryTransport has its
 * own namespace of names; `defaultTransports()` shares one per process.
 */
import { ConnectionLostError, TransportError, type QiError } from '../protocol/errors.js';
import { BaseLink } from './base-link.js';
import type { ConnectOptions, Link, Listener, ListenOptions, Transport } from './transport.js';
import { nanoid } from 'nanoid';

class MemoryLink extends BaseLink {
  peer: MemoryLink | undefined;
  /** Lets the listener forget this link once it closes, whoever closes it. */
  release: (() => void) | undefined;
  private paused = false;
  private inbox: Uint8Array[] = [];

  constructor(remote: string) {
    super(remote);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const frames = this.inbox;
    this.inbox = [];
    this.receive(frames);
  }

  receive(frames: Uint8Array[]): void {
    if (this.paused) {
      for (const frame of frames) this.inbox.push(frame);
      return;
    }
    for (let i = 0; i < frames.length; i++) {
      if (this.paused) {
        this.inbox.push(...frames.slice(i));
        return;
      }
      this.deliver(frames[i]!);
    }
  }

  peerClosed(): void {
    this.lost(new ConnectionLostError(`memory link to ${this.remote} closed by peer`));
  }

  protected writeFrames(frames: Uint8Array[]): void {
    this.peer?.receive(frames);
  }

  protected closeTransport(_reason: QiError): void {
    this.release?.();
    const peer = this.peer;
    this.peer = undefined;
    // The peer learns of the close after the frames already in flight, as over a socket.
    if (peer) process.nextTick(() => peer.peerClosed());
  }
}

interface MemoryEndpoint {
  onLink: (link: Link) => void;
  links: Set<MemoryLink>;
}

export class MemoryTransport implements Transport {
  readonly scheme = 'memory';
  private readonly endpoints = new Map<string, MemoryEndpoint>();

  async listen(url: URL, onLink: (link: Link) => void, _options?: ListenOptions): Promise<Listener> {
    const name = endpointName(url) || nanoid(10);
    if (this.endpoints.has(name)) throw new TransportError(`memory://${name} is already listened on`);
    const endpoint: MemoryEndpoint = { onLink, links: new Set() };
    this.endpoints.set(name, endpoint);
    let closed = false;
    return {
      url: `memory://${name}`,
      close: async () => {
        if (closed) return;
        closed = true;
        this.endpoints.delete(name);
        for (const link of endpoint.links) link.close();
      },
    };
  }

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    options.signal?.throwIfAborted();
    const name = endpointName(url);
    const endpoint = this.endpoints.get(name);
    if (!endpoint) throw new TransportError(`nothing listens at memory://${name}`);
    const id = nanoid(6);
    const client = new MemoryLink(`memory://${name}`);
    const server = new MemoryLink(`memory://client-${id}`);
    client.peer = server;
    server.peer = client;
    endpoint.links.add(server);
    server.release = () => endpoint.links.delete(server);
    endpoint.onLink(server);
    return client;
  }
}

/** `memory://name` parses with `name` as the host; `memory:name` as the path. Either is accepted. */
function endpointName(url: URL): string {
  return url.host || url.pathname.replace(/^\/+/, '');
}

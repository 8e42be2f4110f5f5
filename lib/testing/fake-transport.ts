/**
 * A transport for tests, shipped as `qimessaging/testing`. Its links behave like TCP (frames travel as bytes
 * through each receiver's FrameDecoder) but everything is in reach of the test: what each end sent (`sent`, and
 * `send` is a plain method for `sinon.spy(link, 'send')`), raw bytes or frames injected as if from the peer, a
 * peer that vanishes (`drop`) or a link that fails (`fail`), a write side that backs up (`congest`, `drain`), and
 * connects held open or made to fail.
 *
 * ```ts
 * const fake = new FakeTransport();
 * const transports = new TransportRegistry([fake]);
 * const service = await createService('calc', calc, { transports, listen: ['fake://calc'] });
 * const link = (await fake.connect(new URL('fake://calc'))) as FakeLink;
 * link.peer!.injectBytes(garbage); // the service's end receives garbage: it closes that link with ProtocolError
 * ```
 */
import { nanoid } from 'nanoid';
import { ClosedError, ConnectionLostError, ProtocolError, type QiError } from '../protocol/errors.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { nextTick } from '../next-tick.js';
import { BaseLink } from '../transports/base-link.js';
import { InProcessEndpoints } from '../transports/in-process-endpoints.js';
import type { ConnectOptions, Link, LinkOptions, Listener, ListenOptions, Transport } from '../transports/transport.js';

export class FakeLink extends BaseLink {
  /** The other end (kept after a close, so a test can inspect what it received). */
  peer: FakeLink | undefined;
  /** False once either end closed: nothing more is carried. */
  private wired = true;
  /** Every frame this end sent, in order. */
  readonly sent: Uint8Array[] = [];
  private readonly decoder: FrameDecoder;
  private paused = false;
  private backedUp = false;
  /** Bytes written while congested: what a socket whose peer does not read would still hold. */
  private heldBytes = 0;
  private inbox: Uint8Array[] = [];
  private readonly onFrameBound = (frame: Uint8Array): void => this.deliver(frame);

  constructor(remote: string, options: LinkOptions = {}) {
    super(remote, options);
    this.decoder = new FrameDecoder({ maxBodySize: options.maxBodySize });
  }

  override send(frame: Uint8Array): boolean {
    if (!this.closed) this.sent.push(frame);
    return super.send(frame);
  }

  /** Bytes arriving as if from the peer: decoded like a socket's, so a bad frame closes this link. */
  injectBytes(bytes: Uint8Array): void {
    if (this.closed) return;
    if (bytes.length === 0) return;
    if (this.paused) {
      this.inbox.push(bytes);
      return;
    }
    try {
      this.decoder.push(bytes, this.onFrameBound);
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
    }
  }

  /** A whole frame arriving as if from the peer. */
  injectFrame(frame: Uint8Array): void {
    this.injectBytes(frame);
  }

  /** The peer vanishes: this end closes with ConnectionLostError, and so does the peer. */
  drop(): void {
    this.lost(new ConnectionLostError(`fake link to ${this.remote} dropped`));
  }

  /** This end fails with `error`; the peer sees ConnectionLostError. */
  fail(error: QiError): void {
    this.lost(error);
  }

  /** True between `congest()` and `drain()`: what a socket whose peer does not read reports. */
  override get congested(): boolean {
    return this.backedUp;
  }

  /**
   * From now on this end reports congestion (frames are still carried), as a socket whose peer stopped reading;
   * what it writes meanwhile counts in `bufferedBytes` (and against `maxBufferedBytes`) until `drain`.
   */
  congest(): void {
    this.backedUp = true;
  }

  /** Ends the congestion: `bufferedBytes` falls back to what is queued, and drain handlers run. */
  drain(): void {
    this.backedUp = false;
    this.heldBytes = 0;
    this.drained();
  }

  protected override backlog(): number {
    return this.heldBytes;
  }

  /** True while this end does not read (`pause`): what arrives waits. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Like a socket's: no frame is delivered after this, not even the rest of bytes already being decoded. */
  pause(): void {
    this.paused = true;
    this.decoder.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    try {
      this.decoder.resume(this.onFrameBound);
    } catch (err) {
      this.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
    }
    for (const bytes of this.inbox.splice(0)) this.injectBytes(bytes);
  }

  protected writeFrames(frames: Uint8Array[]): void {
    const peer = this.peer;
    if (!peer || !this.wired) return;
    const bytes = frames.length === 1 ? frames[0]! : concat(frames);
    if (this.backedUp) this.heldBytes += bytes.length;
    peer.injectBytes(bytes);
  }

  protected closeTransport(_reason: QiError): void {
    const peer = this.peer;
    if (!this.wired || !peer) return;
    this.wired = false;
    peer.wired = false;
    // As over a socket, the peer learns of the close after the frames already in flight.
    nextTick(() => peer.lost(new ConnectionLostError(`fake link to ${peer.remote} closed by peer`)));
  }
}

export class FakeTransport implements Transport {
  readonly scheme: string;
  /** Every link created, both ends, in creation order. */
  readonly links: FakeLink[] = [];
  private readonly endpoints: InProcessEndpoints<FakeLink>;
  private readonly linkWaiters: Array<(link: FakeLink) => void> = [];
  private held: Array<() => void> | undefined;
  private nextConnectError: QiError | undefined;

  constructor(scheme = 'fake') {
    this.scheme = scheme;
    this.endpoints = new InProcessEndpoints(scheme);
  }

  async listen(url: URL, onLink: (link: Link) => void, options: ListenOptions = {}): Promise<Listener> {
    return this.endpoints.listen(url, onLink, options);
  }

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    if (this.held) await this.waitForRelease(url, options.signal);
    options.signal?.throwIfAborted();
    const error = this.nextConnectError;
    this.nextConnectError = undefined;
    if (error) throw error;
    const endpoint = this.endpoints.find(url);
    const client = new FakeLink(`${this.scheme}://${endpoint.name}`, options);
    // All fake clients come from one address (`client`), each link with a port-like path of its own.
    const server = new FakeLink(`${this.scheme}://client/${nanoid(6)}`, endpoint.options);
    client.peer = server;
    server.peer = client;
    this.links.push(client, server);
    endpoint.accept(server);
    this.linkWaiters.shift()?.(server);
    return client;
  }

  /** From now on `connect` stays pending until `releaseConnects` (or until its signal aborts). */
  holdConnects(): void {
    this.held ??= [];
  }

  releaseConnects(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const release of held) release();
  }

  /** The next `connect` rejects with `error`. */
  failNextConnect(error: QiError): void {
    this.nextConnectError = error;
  }

  /** Resolves with the next server-side link a listener accepts. */
  nextLink(): Promise<FakeLink> {
    return new Promise((resolve) => this.linkWaiters.push(resolve));
  }

  private waitForRelease(url: URL, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new ClosedError(`connect to ${url.href} aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.held!.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

function concat(frames: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const frame of frames) length += frame.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

/**
 * One side's protocol state with one peer: the channels bound on it, the calls this side has sent, and the
 * endpoints that own the channels. A session outlives its link: `attach(link)` gives it one (the control channel
 * of that link then runs the handshake), `detach(reason)` takes it away: every pending call fails with
 * ConnectionLost (call ids are per link), and each endpoint is told it is suspended, or closed if it cannot
 * outlive the link. `close` ends it for good.
 *
 * This is the data plane: it never goes through an actor. It reads only headers to route a frame. Answers to this
 * side's calls (Reply, Error, Canceled) are settled here, before any endpoint sees them, and only when they come
 * on the channel the call was sent on; endpoints see Call, Post, Event and Cancel. A relaying endpoint (a gateway
 * route) sees every frame of its channel, answers included, since the calls it carries are not this side's.
 */
import { buildMessage, decodeMessageBody } from '../protocol/codec.js';
import { CONTROL_CHANNEL, ControlAction } from '../protocol/control.js';
import {
  BadArgumentsError,
  ClosedError,
  ConnectionLostError,
  errorFromBody,
  LimitExceededError,
  ProtocolError,
  ServiceGoneError,
  toQiError,
  type QiError,
} from '../protocol/errors.js';
import { frameAction, frameChannel, frameFlags, frameId, frameType, MessageType, OBJECT_RESULT, readHeader, setFrameFlags, WANTS_PROGRESS } from '../protocol/header.js';
import { frameDiagnostics, type FrameMessage } from '../diagnostics.js';
import type { Link } from '../transports/transport.js';
import { CallTable, type PendingCall } from './call-table.js';
import type { Authenticator, Credentials, Identity } from '../auth/authenticator.js';
import type { FailedAttempts } from '../auth/failed-attempts.js';
import {
  ControlChannel,
  DEFAULT_HEARTBEAT,
  type BindHandler,
  type ControlSession,
  type HeartbeatOptions,
  type PeerFeatures,
  type SessionRole,
} from './control-channel.js';

export type { HeartbeatOptions, SessionRole } from './control-channel.js';

/** What owns a channel on this side of a link. */
export interface ChannelEndpoint {
  /**
   * True for an endpoint that relays the channel to another link (a gateway route): it is handed every frame,
   * answers included. Others are handed only Call, Post, Event and Cancel.
   */
  readonly relays?: boolean;
  /** A frame that arrived on the channel. Must not throw (a throw closes the link as a protocol failure). */
  onFrame(frame: Uint8Array): void;
  /**
   * The link was detached; the endpoint stays in the session until it is bound again on the next link
   * (`attachChannel`) or the session closes. An endpoint without this method is closed instead.
   */
  onSuspended?(error: QiError): void;
  /** The session has a new link (open): a suspended endpoint may bind again, and `attachChannel` itself. */
  onResumed?(): void;
  /** The channel ended: unbound by either side, closed by the far side, or the session closed. */
  onClosed(error: QiError): void;
}

export type { BindHandler } from './control-channel.js';

export interface SessionOptions {
  /** Maximum channels bound at once on this link (default 65,536). */
  maxChannels?: number;
  /**
   * Maximum calls this side may have in flight on this link (default 100,000): calls it sent and has not had
   * answered, and calls it is answering later (a service's methods returning promises), each counted apart.
   */
  maxPendingCalls?: number;
  /**
   * A gateway forwards at most this many calls of one binding that its service has not answered yet; a further
   * call is answered LimitExceeded by the gateway (default 1,000). The service answers a link's calls in order,
   * so this many calls are what one client can put ahead of the others' (1,000 replies of 64 KiB are ~0.3 s of a
   * service's time; 10,000 stalled other clients for 3 s, measured).
   */
  maxCallsInFlightPerBinding?: number;
  /**
   * Most signal subscriptions a service keeps for one link, across its bindings (default 4,096); one more is
   * answered LimitExceeded. A gateway subscribes once per signal for all its clients.
   */
  maxSubscriptionsPerLink?: number;
  /** A link whose peer sends no Capability by then is closed with TimeoutError, in ms (default 10,000). */
  handshakeTimeoutMs?: number;
  /** Liveness checks on every link but in-process ones (heartbeat.ts); `false` turns them off. */
  heartbeat?: HeartbeatOptions | false;
  /** Accepting side: who may open a link (handshake.ts; default anyone). */
  authenticate?: Authenticator;
  /** Accepting side: refusals counted per remote address (a LinkHost shares one among its links). */
  failedAttempts?: FailedAttempts;
  /** Connecting side: the credentials to present. */
  credentials?: Credentials;
  /**
   * Announce `features.objects`: this side takes a Reply flagged OBJECT_RESULT, for calls started with `onObject`
   * (a Connection's session; docs/PROTOCOL.md §5, Objects). Default false.
   */
  acceptsObjects?: boolean;
  /**
   * Keep the session when its link is lost (detach, so that the owner can attach a new link) instead of closing
   * it. Default false: the session closes with its link.
   */
  outlivesLink?: boolean;
}

export interface SessionStats {
  framesIn: number;
  framesOut: number;
  /** Answers that matched no pending call on their channel: counted and otherwise ignored. */
  unknownReplies: number;
  /** Frames for a channel not bound here (after an unbind race), dropped. */
  strayFrames: number;
  /** Progress frames for no pending call that asked for them (the call was answered or canceled), dropped. */
  lateProgress: number;
}

export type SessionState = 'detached' | 'handshaking' | 'open' | 'closed';

let sessionCount = 0;

export class Session {
  /** Unique in this process, e.g. `link-12`; names the session in actor ids and directory records. */
  readonly id = `link-${++sessionCount}`;
  readonly calls: CallTable;
  /** `maxPendingCalls`, also the bound of the calls this side answers later (ServiceBinding). */
  readonly maxPendingCalls: number;
  /** `maxCallsInFlightPerBinding`, read by the gateway's routes from their client's session. */
  readonly maxCallsInFlightPerBinding: number;
  /** Calls received on this link that this side's bindings are answering later (a service's). */
  callsBeingAnswered = 0;
  /** Signal subscriptions this side's bindings hold for the peer on this link (a service's). */
  subscriptions = 0;
  readonly maxSubscriptions: number;
  readonly stats: SessionStats = { framesIn: 0, framesOut: 0, unknownReplies: 0, strayFrames: 0, lateProgress: 0 };
  private link: Link | undefined;
  private control: ControlChannel<Session> | undefined;
  private remoteAddress = '';
  private linkInProcess = false;
  private readonly channels = new Map<number, ChannelEndpoint>();
  /** Endpoints of the previous link, waiting to be bound again. */
  private readonly suspended = new Set<ChannelEndpoint>();
  private readonly maxChannels: number;
  private readonly handshakeTimeoutMs: number;
  private readonly heartbeat: Required<HeartbeatOptions> | false;
  private readonly auth: {
    authenticate?: Authenticator | undefined;
    failedAttempts?: FailedAttempts | undefined;
    credentials?: Credentials | undefined;
    objects?: boolean | undefined;
  };
  private readonly outlivesLink: boolean;
  private peerIdentity: Identity | undefined;
  private peerFeatures: PeerFeatures = { progress: false, objects: false };
  /** Set when the peer announced it closes the link on purpose (a ClosingNotice), with its reason. */
  private peerClosingReason: string | undefined;
  private reading = true;
  private nextChannel = 1;
  private current: SessionState = 'detached';
  private closeReason: QiError | undefined;
  private lastLinkError: QiError | undefined;
  private readonly openListeners = new Set<() => void>();
  private readonly detachListeners = new Set<(reason: QiError) => void>();
  private readonly closeListeners = new Set<(reason: QiError) => void>();
  /** The face the control channel sees (kept off the public API). */
  private readonly controlSession: ControlSession<Session>;

  constructor(
    readonly role: SessionRole,
    options: SessionOptions = {},
    private readonly bind?: BindHandler<Session>,
  ) {
    this.maxPendingCalls = options.maxPendingCalls ?? 100_000;
    this.maxCallsInFlightPerBinding = options.maxCallsInFlightPerBinding ?? 1_000;
    this.maxSubscriptions = options.maxSubscriptionsPerLink ?? 4_096;
    this.calls = new CallTable(this.maxPendingCalls);
    this.maxChannels = options.maxChannels ?? 65_536;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.outlivesLink = options.outlivesLink ?? false;
    this.heartbeat = options.heartbeat === false ? false : { ...DEFAULT_HEARTBEAT, ...definedOnly(options.heartbeat) };
    this.auth = { authenticate: options.authenticate, failedAttempts: options.failedAttempts, credentials: options.credentials, objects: options.acceptsObjects };
    const stats = this.stats;
    // The control channel's face reads live fields through getters, whose `this` is the face itself.
    const session = this;
    this.controlSession = {
      role,
      self: this,
      get framesIn() {
        return stats.framesIn;
      },
      get isReading() {
        return session.reading;
      },
      get identity() {
        return session.peerIdentity;
      },
      ping: () => void this.controlCall(ControlAction.ping, undefined).catch(() => undefined),
      sendFrame: (frame) => this.sendFrame(frame),
      settle: (frame, channel) => this.settle(frame, channel),
      closeChannel: (channel, error) => this.closeChannel(channel, error),
      opened: (identity, features) => this.opened(identity, features),
      peerClosing: (reason) => (this.peerClosingReason = reason),
    };
  }

  get state(): SessionState {
    return this.current;
  }

  get isOpen(): boolean {
    return this.current === 'open';
  }

  get isClosed(): boolean {
    return this.current === 'closed';
  }

  /** Why the session closed, once it has. */
  get reason(): QiError | undefined {
    return this.closeReason;
  }

  /** Who the peer authenticated as on this link (accepting side, with an authenticator). */
  get identity(): Identity | undefined {
    return this.peerIdentity;
  }

  /** True when the peer on the current link announced `features.progress`: a Call may ask it for Progress frames. */
  get peerSendsProgress(): boolean {
    return this.peerFeatures.progress;
  }

  /** True when the peer on the current link announced `features.objects`: a method's object may be answered as a channel. */
  get peerAcceptsObjects(): boolean {
    return this.peerFeatures.objects;
  }

  /**
   * Why the peer closed the current (or last) link on purpose, when it said so first (its owner closed it: "service
   * 'motion' closed"); undefined for a link lost any other way.
   */
  get closedByPeer(): string | undefined {
    return this.peerClosingReason;
  }

  /** The peer's address on the current (or last) link. */
  get remote(): string {
    return this.remoteAddress;
  }

  /** True while (or if last) the link is in-process (`memory://`): not a remote host, not counted as one. */
  get isInProcess(): boolean {
    return this.linkInProcess;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** Gives the session a link; its control channel starts the handshake at once. */
  attach(link: Link): void {
    if (this.current === 'closed') {
      link.close(this.closeReason);
      return;
    }
    if (this.link) throw new Error(`session ${this.id} already has a link`);
    this.link = link;
    this.peerClosingReason = undefined;
    this.remoteAddress = link.remote;
    this.linkInProcess = link.inProcess ?? false;
    this.current = 'handshaking';
    link.onFrame(this.onFrame);
    link.onClose((reason) => this.onLinkClosed(link, reason));
    this.control = new ControlChannel(this.controlSession, link, this.bind, this.handshakeTimeoutMs, this.heartbeat, this.auth);
  }

  /**
   * Takes the link away (closing it with `reason` if it is still up): pending calls fail with ConnectionLost,
   * endpoints are suspended (or closed, for those that cannot outlive a link), channel numbers are forgotten.
   */
  detach(reason: QiError = new ClosedError(`session ${this.id} detached`)): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    this.control?.dispose();
    this.control = undefined;
    this.lastLinkError = reason;
    if (this.current !== 'closed') this.current = 'detached';
    this.openListeners.clear();
    link.close(reason);
    const error = this.lostError(reason);
    this.calls.failAll(error);
    const endpoints = [...this.channels.values()];
    this.channels.clear();
    for (const endpoint of endpoints) {
      if (endpoint.onSuspended && this.current !== 'closed') {
        this.suspended.add(endpoint);
        endpoint.onSuspended(error);
      } else {
        endpoint.onClosed(error);
      }
    }
    for (const listener of [...this.detachListeners]) listener(reason);
  }

  /** Ends the session: the link closes, every pending call and every endpoint fails with `reason`. Idempotent. */
  close(reason: QiError = new ClosedError(`session with ${this.remoteAddress || 'no peer'} closed`)): void {
    if (this.current === 'closed') return;
    // Closed by its owner: an accepting side says so first, so that its peers do not take it for a crash.
    if (reason instanceof ClosedError && this.role === 'acceptor') this.control?.notifyClosing(reason.message);
    this.current = 'closed';
    this.closeReason = reason;
    this.detach(reason);
    const error = this.lostError(reason);
    const endpoints = [...this.suspended];
    this.suspended.clear();
    for (const endpoint of endpoints) endpoint.onClosed(error);
    this.detachListeners.clear();
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener(reason);
  }

  /** Calls `listener` each time a link's handshake completes (at once if open now). Returns an unsubscribe function. */
  onOpen(listener: () => void): () => void {
    if (this.current === 'open') listener();
    else if (this.current !== 'closed') this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  /** Calls `listener` each time the session loses its link (before it closes, if it closes). */
  onDetached(listener: (reason: QiError) => void): () => void {
    if (this.current !== 'closed') this.detachListeners.add(listener);
    return () => this.detachListeners.delete(listener);
  }

  /** Calls `listener` once the session closes (at once if it has). Returns an unsubscribe function. */
  onClosed(listener: (reason: QiError) => void): () => void {
    if (this.closeReason) listener(this.closeReason);
    else this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** False once the link holds its maximum number of channels. */
  get hasRoomForChannel(): boolean {
    return this.channels.size < this.maxChannels;
  }

  /** Opens a channel owned by `endpoint` and returns its number (the accepting side numbers channels). */
  openChannel(endpoint: ChannelEndpoint): number {
    if (!this.hasRoomForChannel) {
      throw new LimitExceededError(`too many channels on link ${this.remoteAddress} (limit ${this.maxChannels})`);
    }
    while (this.channels.has(this.nextChannel) || this.nextChannel === CONTROL_CHANNEL) {
      this.nextChannel = this.nextChannel >= 0xffffffff ? 1 : this.nextChannel + 1;
    }
    const channel = this.nextChannel++;
    this.channels.set(channel, endpoint);
    return channel;
  }

  /** Routes a channel number the peer gave us (an initiator learns it from the bind reply). */
  attachChannel(channel: number, endpoint: ChannelEndpoint): void {
    this.suspended.delete(endpoint);
    this.channels.set(channel, endpoint);
  }

  /** The endpoint that owns `channel`, if any. */
  channelEndpoint(channel: number): ChannelEndpoint | undefined {
    return this.channels.get(channel);
  }

  /** Forgets a channel without telling anyone; returns whether it was there. */
  detachChannel(channel: number): boolean {
    return this.channels.delete(channel);
  }

  /** Keeps an endpoint whose channel ended as one waiting to be bound again (closed with the session). */
  keepSuspended(endpoint: ChannelEndpoint): void {
    if (this.current !== 'closed') this.suspended.add(endpoint);
  }

  /** Forgets an endpoint waiting to be bound again (its owner gave it up). */
  forgetSuspended(endpoint: ChannelEndpoint): void {
    this.suspended.delete(endpoint);
  }

  /** Ends one channel from this side: forgets it, fails its pending calls, tells its endpoint. */
  closeChannel(channel: number, error: QiError): void {
    const endpoint = this.channels.get(channel);
    if (!endpoint) return;
    this.channels.delete(channel);
    this.calls.failChannel(channel, error);
    endpoint.onClosed(error);
  }

  /** Ends a channel the peer bound here and tells the peer (the accepting side: the binding ended on this side). */
  endChannel(channel: number, error: QiError): void {
    this.channels.delete(channel);
    this.control?.notifyChannelClosed(channel, error);
  }

  /** Sends a frame built from its header fields and `body`. Returns false if there is no link. */
  send(type: MessageType, channel: number, id: number, object: number, action: number, body: unknown): boolean {
    return this.sendFrame(buildMessage(type, channel, id, object, action, body));
  }

  /** Sends an already-encoded frame (forwarding). */
  sendFrame(frame: Uint8Array): boolean {
    this.stats.framesOut++;
    if (frameDiagnostics.hasSubscribers) this.publishFrame('out', frame);
    const link = this.link;
    return link !== undefined && link.send(frame);
  }

  /** Calls `action` of `object` on `channel`; resolves with the Reply's body or rejects with the Error's. */
  call(channel: number, object: number, action: number, body: unknown): Promise<unknown> {
    return this.startCall(channel, object, action, body).result;
  }

  /**
   * Like `call`, but also gives the call's id, so that the caller can `cancel` it. With `onProgress`, and a peer
   * that announced `features.progress`, the Call is flagged WANTS_PROGRESS and each Progress frame of it is handed
   * to `onProgress` until it is answered; a peer without the feature is not asked (the call simply has none).
   * With `onObject`, a Reply flagged OBJECT_RESULT resolves the call with what `onObject` makes of its body.
   */
  startCall(
    channel: number,
    object: number,
    action: number,
    body: unknown,
    onProgress?: (value: unknown) => void,
    onObject?: (body: unknown) => unknown,
  ): { id: number; result: Promise<unknown> } {
    if (!this.link) return { id: 0, result: Promise.reject(this.lostError(this.lastLinkError)) };
    let call: PendingCall | undefined;
    try {
      call = this.calls.open(channel);
      const frame = encodeCall(channel, call.id, object, action, body);
      if (onProgress !== undefined && this.peerFeatures.progress) {
        setFrameFlags(frame, WANTS_PROGRESS);
        call.onProgress = onProgress;
      }
      call.onObject = onObject;
      this.sendFrame(frame);
      return call;
    } catch (err) {
      // Forget the call without settling it: its promise was never handed out, and rejecting it would go unhandled.
      if (call) this.calls.take(call.id, channel);
      return { id: 0, result: Promise.reject(toQiError(err)) };
    }
  }

  /** Gives up a pending call: it rejects with `error` at once, and the peer is sent a Cancel. */
  cancel(channel: number, id: number, error: QiError): void {
    const call = this.calls.take(id, channel);
    if (!call) return;
    call.reject(error);
    this.send(MessageType.Cancel, channel, id, 0, 0, undefined);
  }

  /** Sends a Post: a call that is never answered. */
  post(channel: number, object: number, action: number, body: unknown): boolean {
    return this.sendFrame(buildMessage(MessageType.Post, channel, 0, object, action, body));
  }

  /** A call on the control channel. */
  controlCall(action: ControlAction, body: unknown): Promise<unknown> {
    return this.call(CONTROL_CHANNEL, 0, action, body);
  }

  reply(channel: number, id: number, object: number, action: number, value: unknown): void {
    this.sendFrame(buildMessage(MessageType.Reply, channel, id, object, action, value));
  }

  replyError(channel: number, id: number, object: number, action: number, error: QiError): void {
    this.send(MessageType.Error, channel, id, object, action, error.toBody());
  }

  /** True while the link has more bytes waiting to be written than its high-water mark. */
  get congested(): boolean {
    return this.link?.congested ?? false;
  }

  /** Bytes sent on this link and not yet written out (0 without a link). */
  get bufferedBytes(): number {
    return this.link?.bufferedBytes ?? 0;
  }

  /** Calls `handler` once the link is no longer congested. */
  onDrain(handler: () => void): void {
    if (this.link) this.link.onDrain(handler);
    else handler();
  }

  /** Stops reading from the peer until `resume` (backpressure towards it). */
  pause(): void {
    this.reading = false;
    this.link?.pause();
  }

  resume(): void {
    this.reading = true;
    this.link?.resume();
  }

  /** False while this side has paused reading (the heartbeat does not count that silence against the peer). */
  get isReading(): boolean {
    return this.reading;
  }

  toJSON(): object {
    return {
      id: this.id,
      remote: this.remoteAddress,
      role: this.role,
      state: this.current,
      channels: this.channels.size,
      pendingCalls: this.calls.size,
      ...this.stats,
    };
  }

  private readonly onFrame = (frame: Uint8Array): void => {
    this.stats.framesIn++;
    if (frameDiagnostics.hasSubscribers) this.publishFrame('in', frame);
    const control = this.control;
    if (control === undefined) return;
    if (!control.isOpen) {
      control.handshake(frame);
      return;
    }
    const channel = frameChannel(frame);
    if (channel === CONTROL_CHANNEL) {
      if (!control.onFrame(frame)) this.stats.strayFrames++;
      return;
    }
    const endpoint = this.channels.get(channel);
    if (endpoint === undefined) {
      this.onStrayFrame(frame, channel);
      return;
    }
    if (endpoint.relays !== true) {
      const type = frameType(frame);
      if (type === MessageType.Reply || type === MessageType.Error || type === MessageType.Canceled) {
        this.settle(frame, channel);
        return;
      }
      if (type === MessageType.Progress) {
        this.progress(frame, channel);
        return;
      }
    }
    endpoint.onFrame(frame);
  };

  /**
   * Hands a Progress frame to the pending call it reports on, if that call asked for progress. One for a call
   * already answered or canceled (it crossed the answer or the Cancel) is dropped and counted.
   */
  private progress(frame: Uint8Array, channel: number): void {
    const onProgress = this.calls.peek(frameId(frame), channel)?.onProgress;
    if (onProgress === undefined) {
      this.stats.lateProgress++;
      return;
    }
    let value: unknown;
    try {
      value = decodeMessageBody(frame);
    } catch {
      this.stats.lateProgress++;
      return;
    }
    try {
      onProgress(value);
    } catch {
      // The caller's listener threw: its call goes on, and so does the link.
    }
  }

  /**
   * Settles one of this side's calls from an answer that came on `channel`. A Canceled confirms a Cancel whose
   * call was rejected when it was canceled: nothing is pending for it.
   */
  private settle(frame: Uint8Array, channel: number): void {
    const type = frameType(frame);
    if (type === MessageType.Canceled) return;
    const call = this.calls.take(frameId(frame), channel);
    if (!call) {
      this.stats.unknownReplies++;
      if (type === MessageType.Reply && (frameFlags(frame) & OBJECT_RESULT) !== 0) {
        let late: unknown;
        try {
          late = decodeMessageBody(frame);
        } catch {
          return;
        }
        this.releaseObject(late);
      }
      return;
    }
    let body: unknown;
    try {
      body = decodeMessageBody(frame);
    } catch (err) {
      call.reject(toQiError(err));
      return;
    }
    if (type !== MessageType.Reply) call.reject(errorFromBody(body));
    else if ((frameFlags(frame) & OBJECT_RESULT) === 0) call.resolve(body);
    else this.objectResult(call, body);
  }

  /**
   * An object result no one takes (its call given up meanwhile, one that cannot take an object, a malformed one):
   * the channel it names is released at the far side, unless that number routes to something here already.
   */
  releaseObject(body: unknown): void {
    if (!this.auth.objects) return;
    const channel = typeof body === 'object' && body !== null ? (body as { channel?: unknown }).channel : undefined;
    if (typeof channel === 'number' && Number.isInteger(channel) && channel > 0 && channel <= 0xffffffff && !this.channels.has(channel)) {
      this.controlCall(ControlAction.unbind, { channel }).catch(() => undefined);
    }
  }

  /** A Reply flagged OBJECT_RESULT: an object on a channel of its own, for a call that can take one. */
  private objectResult(call: PendingCall, body: unknown): void {
    const onObject = call.onObject;
    if (onObject === undefined || !this.auth.objects) {
      this.releaseObject(body);
      call.reject(new ProtocolError('an object result (flag OBJECT_RESULT) answered a call that cannot take one'));
      return;
    }
    try {
      call.resolve(onObject(body));
    } catch (err) {
      call.reject(toQiError(err));
    }
  }

  private opened(identity: Identity | undefined, features: PeerFeatures): void {
    this.peerIdentity = identity;
    this.peerFeatures = features;
    this.current = 'open';
    const listeners = [...this.openListeners];
    this.openListeners.clear();
    for (const listener of listeners) listener();
    for (const endpoint of [...this.suspended]) endpoint.onResumed?.();
  }

  private onStrayFrame(frame: Uint8Array, channel: number): void {
    const type = frameType(frame);
    if (type === MessageType.Call) {
      // Likely a call racing an unbind: answer it, so the caller does not wait forever.
      this.replyError(channel, frameId(frame), 0, frameAction(frame), new ServiceGoneError(`channel ${channel} is not bound on this link`));
    } else if (type === MessageType.Reply || type === MessageType.Error || type === MessageType.Canceled) {
      // An answer for a channel that is gone: never taken as the answer to a call on another channel.
      this.stats.unknownReplies++;
    } else {
      this.stats.strayFrames++;
    }
  }

  private publishFrame(direction: 'in' | 'out', frame: Uint8Array): void {
    frameDiagnostics.publish({ direction, link: this.id, remote: this.remoteAddress, header: readHeader(frame) } satisfies FrameMessage);
  }

  /** The error pending calls fail with when the link ends for `reason`: closed by us, or lost. */
  private lostError(reason: QiError | undefined): QiError {
    if (reason instanceof ClosedError) return reason;
    if (this.peerClosingReason !== undefined) {
      return new ConnectionLostError(`link to ${this.remoteAddress} closed by the peer on purpose: ${this.peerClosingReason}`, { cause: 'Closed' });
    }
    return new ConnectionLostError(`link to ${this.remoteAddress} lost${reason ? `: ${reason.message}` : ''}`, {
      cause: reason?.code,
    });
  }

  private onLinkClosed(link: Link, reason: QiError): void {
    if (this.link !== link) return; // already detached
    if (this.outlivesLink) this.detach(reason);
    else this.close(reason);
  }
}

/** The fields of `options` that are set (so that an explicit `undefined` does not override a default). */
function definedOnly<T extends object>(options: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A Call frame; arguments cbor-x cannot encode (a circular object) are the caller's error, a BadArgumentsError. */
function encodeCall(channel: number, id: number, object: number, action: number, body: unknown): Uint8Array {
  try {
    return buildMessage(MessageType.Call, channel, id, object, action, body);
  } catch (err) {
    throw new BadArgumentsError(`the arguments cannot be encoded as CBOR: ${err instanceof Error ? err.message : String(err)}`);
  }
}

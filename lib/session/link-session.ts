/**
 * One link's protocol state, on either side: the Capability handshake, the control channel (bind, unbind, ping,
 * channelClosed), the table of this side's pending calls, and the routes from channel numbers to the endpoints
 * that own them. It reads only headers to route a frame; the endpoint of a channel decides whether to decode
 * (a service, a client) or to forward untouched (a gateway route).
 *
 * This is the data plane: it never goes through an actor. The actors (Connection, Service, Gateway) own sessions
 * and learn of their lifecycle through `onOpen` / `onClosed`.
 */
import { buildMessage, decodeMessageBody } from '../protocol/codec.js';
import {
  CONTROL_CHANNEL,
  ControlAction,
  localCapability,
  type BindReply,
  type CapabilityBody,
  type ChannelClosedNotice,
} from '../protocol/control.js';
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
import { frameChannel, frameId, frameAction, frameType, MessageType, PROTOCOL_VERSION, readHeader } from '../protocol/header.js';
import { frameDiagnostics, type FrameMessage } from '../diagnostics.js';
import type { Link } from '../transports/transport.js';
import { CallTable, type PendingCall } from './call-table.js';
import { answerControlCall } from './control-requests.js';
import type { MessageType as MessageTypeValue } from '../protocol/header.js';

/** What owns a channel on this side of a link. */
export interface ChannelEndpoint {
  /** A frame that arrived on the channel. Must not throw (a throw closes the link as a protocol failure). */
  onFrame(frame: Uint8Array): void;
  /** The channel ended: unbound by the far side, or the link closed. */
  onClosed(error: QiError): void;
}

/** How an accepting side answers bind and unbind requests on its control channel. */
export interface ControlHandler {
  bind(name: string, session: LinkSession): Promise<BindReply>;
  unbind(channel: number, session: LinkSession): void;
}

export interface SessionOptions {
  /** Maximum channels bound at once on this link (default 65,536). */
  maxChannels?: number;
  /** Maximum calls this side may have in flight on this link (default 100,000). */
  maxPendingCalls?: number;
  /** An accepting side closes a link whose first frame has not come by then, in ms (default 10,000). */
  handshakeTimeoutMs?: number;
}

export type SessionRole = 'initiator' | 'acceptor';

export interface SessionStats {
  framesIn: number;
  framesOut: number;
  /** Replies that matched no pending call: counted and otherwise ignored. */
  unknownReplies: number;
  /** Frames for a channel not bound here (after an unbind race), dropped. */
  strayFrames: number;
}

let sessionCount = 0;

export class LinkSession {
  /** Unique in this process, e.g. `link-12`; names the link in actor ids and directory records. */
  readonly id = `link-${++sessionCount}`;
  readonly link: Link;
  readonly role: SessionRole;
  readonly calls: CallTable;
  private readonly channels = new Map<number, ChannelEndpoint>();
  private readonly maxChannels: number;
  private nextChannel = 1;
  private state: 'handshaking' | 'open' | 'closed' = 'handshaking';
  private closeReason: QiError | undefined;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly openListeners = new Set<() => void>();
  private readonly closeListeners = new Set<(reason: QiError) => void>();
  readonly stats: SessionStats = { framesIn: 0, framesOut: 0, unknownReplies: 0, strayFrames: 0 };

  constructor(
    link: Link,
    role: SessionRole,
    private readonly control: ControlHandler | undefined,
    options: SessionOptions = {},
  ) {
    this.link = link;
    this.role = role;
    this.calls = new CallTable(options.maxPendingCalls ?? 100_000);
    this.maxChannels = options.maxChannels ?? 65_536;
    link.onFrame(this.onFrame);
    link.onClose(this.onLinkClosed);
    if (role === 'initiator') {
      this.send({ id: 0, type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, localCapability());
    } else {
      const timeout = options.handshakeTimeoutMs ?? 10_000;
      this.handshakeTimer = setTimeout(
        () => this.close(new ProtocolError(`no handshake from ${link.remote} within ${timeout} ms`)),
        timeout,
      );
    }
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Why the session closed, once it has. */
  get reason(): QiError | undefined {
    return this.closeReason;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** Calls `listener` when the handshake completes (at once if it has). Returns an unsubscribe function. */
  onOpen(listener: () => void): () => void {
    if (this.state === 'open') listener();
    else if (this.state === 'handshaking') this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
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
      throw new LimitExceededError(`too many channels on link ${this.link.remote} (limit ${this.maxChannels})`);
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

  /** Sends a frame built from `header` and `body`. Returns false if the link is closed. */
  send(header: { id: number; type: MessageTypeValue; channel: number; object: number; action: number }, body: unknown): boolean {
    return this.sendFrame(buildMessage(header.type, header.channel, header.id, header.object, header.action, body));
  }

  /** Sends an already-encoded frame (forwarding). */
  sendFrame(frame: Uint8Array): boolean {
    this.stats.framesOut++;
    if (frameDiagnostics.hasSubscribers) this.publishFrame('out', frame);
    return this.link.send(frame);
  }

  /** Calls `action` of `object` on `channel`; resolves with the Reply's body or rejects with the Error's. */
  call(channel: number, object: number, action: number, body: unknown): Promise<unknown> {
    return this.startCall(channel, object, action, body).result;
  }

  /** Like `call`, but also gives the call's id, so that the caller can `cancel` it. */
  startCall(channel: number, object: number, action: number, body: unknown): { id: number; result: Promise<unknown> } {
    if (this.state === 'closed') return { id: 0, result: Promise.reject(this.lostError()) };
    let call: PendingCall | undefined;
    try {
      call = this.calls.open(channel);
      this.sendFrame(encodeCall(channel, call.id, object, action, body));
      return call;
    } catch (err) {
      // Forget the call without settling it: its promise was never handed out, and rejecting it would go unhandled.
      if (call) this.calls.take(call.id);
      return { id: 0, result: Promise.reject(toQiError(err)) };
    }
  }

  /** Gives up a pending call: it rejects with `error` at once, and the peer is sent a Cancel. */
  cancel(channel: number, id: number, error: QiError): void {
    const call = this.calls.take(id);
    if (!call) return;
    call.reject(error);
    this.send({ id, type: MessageType.Cancel, channel, object: 0, action: 0 }, undefined);
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
    this.send({ id, type: MessageType.Error, channel, object, action }, error.toBody());
  }

  /** Settles one of our calls from a Reply or Error frame on any channel. */
  settle(frame: Uint8Array): void {
    const call = this.calls.take(frameId(frame));
    if (!call) {
      this.stats.unknownReplies++;
      return;
    }
    let body: unknown;
    try {
      body = decodeMessageBody(frame);
    } catch (err) {
      call.reject(err as QiError);
      return;
    }
    if (frameType(frame) === MessageType.Reply) call.resolve(body);
    else call.reject(errorFromBody(body));
  }

  /** Tells the initiator that a channel it bound has ended on this side, and forgets the channel. */
  notifyChannelClosed(channel: number, error: QiError): void {
    this.channels.delete(channel);
    const notice: ChannelClosedNotice = { channel, error: { code: error.code, message: error.message } };
    this.send({ id: 0, type: MessageType.Post, channel: CONTROL_CHANNEL, object: 0, action: ControlAction.channelClosed }, notice);
  }

  /** Closes the link; every pending call and every channel fails with `reason` (ClosedError by default). */
  close(reason: QiError = new ClosedError(`session with ${this.link.remote} closed`)): void {
    if (this.state === 'closed') return;
    this.link.close(reason);
  }

  toJSON(): object {
    return {
      id: this.id,
      remote: this.link.remote,
      role: this.role,
      state: this.state,
      channels: this.channels.size,
      pendingCalls: this.calls.size,
      ...this.stats,
    };
  }

  private readonly onFrame = (frame: Uint8Array): void => {
    this.stats.framesIn++;
    if (frameDiagnostics.hasSubscribers) this.publishFrame('in', frame);
    if (this.state === 'handshaking') {
      this.handshake(frame);
      return;
    }
    const channel = frameChannel(frame);
    if (channel === CONTROL_CHANNEL) {
      this.onControlFrame(frame);
      return;
    }
    const endpoint = this.channels.get(channel);
    if (endpoint) {
      endpoint.onFrame(frame);
      return;
    }
    this.onStrayFrame(frame, channel);
  };

  private handshake(frame: Uint8Array): void {
    if (frameType(frame) !== MessageType.Capability || frameChannel(frame) !== CONTROL_CHANNEL) {
      this.failHandshake(frame, new ProtocolError('the first frame of a link must be a Capability frame on channel 0'));
      return;
    }
    let capability: CapabilityBody;
    try {
      capability = decodeMessageBody(frame) as CapabilityBody;
    } catch (err) {
      this.failHandshake(frame, err as QiError);
      return;
    }
    if (typeof capability !== 'object' || capability === null || capability.protocol !== PROTOCOL_VERSION) {
      const got = typeof capability === 'object' && capability !== null ? String(capability.protocol) : 'none';
      this.failHandshake(frame, new ProtocolError(`unsupported protocol ${got} (this peer speaks ${PROTOCOL_VERSION})`));
      return;
    }
    if (this.role === 'acceptor') {
      this.send({ id: frameId(frame), type: MessageType.Capability, channel: CONTROL_CHANNEL, object: 0, action: 0 }, localCapability());
    }
    clearTimeout(this.handshakeTimer);
    this.state = 'open';
    const listeners = [...this.openListeners];
    this.openListeners.clear();
    for (const listener of listeners) listener();
  }

  private failHandshake(frame: Uint8Array, error: QiError): void {
    this.replyError(CONTROL_CHANNEL, frameId(frame), 0, 0, error);
    this.close(error);
  }

  private onControlFrame(frame: Uint8Array): void {
    const type = frameType(frame);
    if (type === MessageType.Reply || type === MessageType.Error) {
      this.settle(frame);
      return;
    }
    if (type === MessageType.Call) {
      answerControlCall(this, this.control, frame);
      return;
    }
    if (type === MessageType.Post && frameAction(frame) === ControlAction.channelClosed && this.role === 'initiator') {
      this.onChannelClosedNotice(frame);
      return;
    }
    this.stats.strayFrames++;
  }

  private onChannelClosedNotice(frame: Uint8Array): void {
    let notice: ChannelClosedNotice;
    try {
      notice = decodeMessageBody(frame) as ChannelClosedNotice;
    } catch (err) {
      this.close(err as QiError);
      return;
    }
    const endpoint = this.channels.get(notice.channel);
    if (!endpoint) return;
    this.channels.delete(notice.channel);
    const error = errorFromBody(notice.error);
    this.calls.failChannel(notice.channel, error);
    endpoint.onClosed(error);
  }

  private onStrayFrame(frame: Uint8Array, channel: number): void {
    const type = frameType(frame);
    if (type === MessageType.Call) {
      // Likely a call racing an unbind: answer it, so the caller does not wait forever.
      this.replyError(channel, frameId(frame), 0, frameAction(frame), new ServiceGoneError(`channel ${channel} is not bound on this link`));
    } else if (type === MessageType.Reply || type === MessageType.Error) {
      this.settle(frame);
    } else {
      this.stats.strayFrames++;
    }
  }

  private publishFrame(direction: 'in' | 'out', frame: Uint8Array): void {
    frameDiagnostics.publish({ direction, link: this.id, remote: this.link.remote, header: readHeader(frame) } satisfies FrameMessage);
  }

  private lostError(): QiError {
    const reason = this.closeReason;
    if (reason instanceof ClosedError) return reason;
    return new ConnectionLostError(`link to ${this.link.remote} lost${reason ? `: ${reason.message}` : ''}`, {
      cause: reason?.code,
    });
  }

  private readonly onLinkClosed = (reason: QiError): void => {
    this.state = 'closed';
    this.closeReason = reason;
    clearTimeout(this.handshakeTimer);
    this.openListeners.clear();
    const error = this.lostError();
    this.calls.failAll(error);
    const endpoints = [...this.channels.values()];
    this.channels.clear();
    for (const endpoint of endpoints) endpoint.onClosed(error);
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener(reason);
  };
}

/** A Call frame; arguments cbor-x cannot encode (a circular object) are the caller's error, a BadArgumentsError. */
function encodeCall(channel: number, id: number, object: number, action: number, body: unknown): Uint8Array {
  try {
    return buildMessage(MessageType.Call, channel, id, object, action, body);
  } catch (err) {
    throw new BadArgumentsError(`the arguments cannot be encoded as CBOR: ${err instanceof Error ? err.message : String(err)}`);
  }
}

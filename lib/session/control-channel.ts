/**
 * Channel 0 of one link: the Capability handshake, answering the peer's control calls (ping; bind and unbind on
 * the accepting side), and the channel-closed notices. It lives and dies with its link; the session it serves
 * outlives it. Heartbeats and authentication belong here.
 *
 * It owns the handshake deadline, on both sides: a link whose peer sends no Capability in time is closed with a
 * TimeoutError, and whoever waits for the link to open (a connect, an acceptor's host) learns it from that close.
 *
 * And the heartbeat, on both sides, once open: at the end of each `intervalMs` in which nothing came from the peer,
 * a ping is sent, up to `maxMissed` pings in a row; the next silent interval closes the link with ConnectionLost.
 * So a silent peer is dropped between (maxMissed + 1) and (maxMissed + 2) intervals after the last frame it sent
 * (2–3 s by default). Any frame counts, not only ping answers, so a peer busy
 * streaming replies is never dropped for answering a ping late; a peer whose event loop is blocked that long is.
 * In-process links have none: their peer cannot freeze or vanish apart from us.
 */
import { decodeMessageBody } from '../protocol/codec.js';
import {
  CONTROL_CHANNEL,
  ControlAction,
  localCapability,
  type BindReply,
  type BindRequest,
  type CapabilityBody,
  type ChannelClosedNotice,
  type UnbindRequest,
} from '../protocol/control.js';
import {
  BadArgumentsError,
  ClosedError,
  ConnectionLostError,
  errorFromBody,
  NoSuchMemberError,
  ProtocolError,
  TimeoutError,
  toQiError,
  type QiError,
} from '../protocol/errors.js';
import { buildMessage } from '../protocol/codec.js';
import { frameAction, frameChannel, frameId, frameType, MessageType, PROTOCOL_VERSION } from '../protocol/header.js';
import type { Link } from '../transports/transport.js';

export type SessionRole = 'initiator' | 'acceptor';

/** How an accepting side answers `bind(name)`: with the new channel and the service's meta-object. */
export type BindHandler<S> = (name: string, session: S) => Promise<BindReply>;

export interface HeartbeatOptions {
  /** How often to check that the peer is alive, in ms (default 1,000). */
  intervalMs?: number;
  /** Pings that may go unanswered in a row (default 1, at least 1): the silent interval after the last closes the link. */
  maxMissed?: number;
}

export const DEFAULT_HEARTBEAT: Required<HeartbeatOptions> = { intervalMs: 1_000, maxMissed: 1 };

/** What the control channel needs of the session it serves. */
export interface ControlSession<S> {
  readonly role: SessionRole;
  /** The session itself, as handed to the bind handler. */
  readonly self: S;
  /** Frames received so far (on any link): the heartbeat only looks at whether it grew. */
  readonly framesIn: number;
  sendFrame(frame: Uint8Array): boolean;
  /** Sends a ping on channel 0 as one of this side's calls; its answer is settled like any other. */
  ping(): void;
  /** Settles one of this side's calls on channel 0 from a Reply, Error or Canceled frame. */
  settle(frame: Uint8Array, channel: number): void;
  /** Ends one channel: its calls fail and its endpoint is told, with `error`. */
  closeChannel(channel: number, error: QiError): void;
  /** The handshake completed on this link. */
  opened(): void;
}

export class ControlChannel<S> {
  private open = false;
  private readonly handshakeTimer: ReturnType<typeof setTimeout>;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private framesSeen = 0;
  /** Silent intervals since the peer last sent anything: the first sends a ping, the others are misses. */
  private silent = 0;

  constructor(
    private readonly session: ControlSession<S>,
    private readonly link: Link,
    private readonly bind: BindHandler<S> | undefined,
    handshakeTimeoutMs: number,
    private readonly heartbeat: Required<HeartbeatOptions> | false,
  ) {
    this.handshakeTimer = setTimeout(
      () => link.close(new TimeoutError(`no handshake from ${link.remote} within ${handshakeTimeoutMs} ms`)),
      handshakeTimeoutMs,
    );
    if (session.role === 'initiator') this.sendCapability(0);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** The link went away: nothing of this control channel may fire any more. */
  dispose(): void {
    clearTimeout(this.handshakeTimer);
    clearInterval(this.heartbeatTimer);
  }

  /** The first frame of the link: it must be the peer's Capability, in a protocol version this side speaks. */
  handshake(frame: Uint8Array): void {
    if (frameType(frame) !== MessageType.Capability || frameChannel(frame) !== CONTROL_CHANNEL) {
      this.failHandshake(frame, new ProtocolError('the first frame of a link must be a Capability frame on channel 0'));
      return;
    }
    let capability: CapabilityBody;
    try {
      capability = decodeMessageBody(frame) as CapabilityBody;
    } catch (err) {
      this.failHandshake(frame, toQiError(err));
      return;
    }
    const protocol = typeof capability === 'object' && capability !== null ? capability.protocol : undefined;
    if (protocol !== PROTOCOL_VERSION) {
      const got = typeof protocol === 'number' ? String(protocol) : 'none';
      this.failHandshake(frame, new ProtocolError(`unsupported protocol ${got} (this peer speaks ${PROTOCOL_VERSION})`));
      return;
    }
    if (this.session.role === 'acceptor') this.sendCapability(frameId(frame));
    clearTimeout(this.handshakeTimer);
    this.open = true;
    this.startHeartbeat();
    this.session.opened();
  }

  /** A frame on channel 0 after the handshake. */
  onFrame(frame: Uint8Array): boolean {
    const type = frameType(frame);
    if (type === MessageType.Reply || type === MessageType.Error || type === MessageType.Canceled) {
      this.session.settle(frame, CONTROL_CHANNEL);
      return true;
    }
    if (type === MessageType.Call) {
      this.answer(frame);
      return true;
    }
    if (type === MessageType.Post && frameAction(frame) === ControlAction.channelClosed && this.session.role === 'initiator') {
      this.onChannelClosedNotice(frame);
      return true;
    }
    return false;
  }

  /** Tells the initiator that a channel it bound has ended on this side. */
  notifyChannelClosed(channel: number, error: QiError): void {
    const notice: ChannelClosedNotice = { channel, error: { code: error.code, message: error.message } };
    this.session.sendFrame(buildMessage(MessageType.Post, CONTROL_CHANNEL, 0, 0, ControlAction.channelClosed, notice));
  }

  private startHeartbeat(): void {
    const heartbeat = this.heartbeat;
    if (!heartbeat || this.link.inProcess) return;
    this.framesSeen = this.session.framesIn;
    this.heartbeatTimer = setInterval(() => this.beat(heartbeat), heartbeat.intervalMs);
    // A heartbeat alone must not keep a process alive: the link's socket does that while it is open.
    this.heartbeatTimer.unref?.();
  }

  private beat(heartbeat: Required<HeartbeatOptions>): void {
    const framesIn = this.session.framesIn;
    if (framesIn !== this.framesSeen) {
      this.framesSeen = framesIn;
      this.silent = 0;
      return;
    }
    if (++this.silent > Math.max(1, heartbeat.maxMissed)) {
      const silence = heartbeat.intervalMs * this.silent;
      this.link.close(new ConnectionLostError(`nothing from ${this.link.remote} for ${silence} ms: the peer missed its heartbeats`));
      return;
    }
    this.session.ping();
  }

  private sendCapability(id: number): void {
    this.session.sendFrame(buildMessage(MessageType.Capability, CONTROL_CHANNEL, id, 0, 0, localCapability()));
  }

  private failHandshake(frame: Uint8Array, error: QiError): void {
    this.replyError(frameId(frame), 0, error);
    this.link.close(error);
  }

  private answer(frame: Uint8Array): void {
    const id = frameId(frame);
    const action = frameAction(frame);
    let body: unknown;
    try {
      body = decodeMessageBody(frame);
    } catch (err) {
      // The control channel is the link's own: a peer that garbles it loses the link.
      this.link.close(toQiError(err));
      return;
    }
    if (action === ControlAction.ping) return this.reply(id, action, undefined);
    const bind = this.bind;
    if (!bind || (action !== ControlAction.bind && action !== ControlAction.unbind)) {
      return this.replyError(id, action, new NoSuchMemberError(`control action ${action} is not served on this side of the link`));
    }
    const request = (typeof body === 'object' && body !== null ? body : {}) as Partial<BindRequest & UnbindRequest>;
    if (action === ControlAction.bind) {
      if (typeof request.name !== 'string') return this.replyError(id, action, new BadArgumentsError('bind expects { name: string }'));
      bind(request.name, this.session.self).then(
        (reply) => this.reply(id, action, reply),
        (err: unknown) => this.replyError(id, action, toQiError(err)),
      );
      return;
    }
    if (typeof request.channel !== 'number') return this.replyError(id, action, new BadArgumentsError('unbind expects { channel: number }'));
    this.session.closeChannel(request.channel, new ClosedError(`channel ${request.channel} unbound by the peer`));
    this.reply(id, action, undefined);
  }

  private onChannelClosedNotice(frame: Uint8Array): void {
    let notice: ChannelClosedNotice;
    try {
      notice = decodeMessageBody(frame) as ChannelClosedNotice;
    } catch (err) {
      this.link.close(toQiError(err));
      return;
    }
    if (typeof notice !== 'object' || notice === null || typeof notice.channel !== 'number') {
      this.link.close(new ProtocolError('malformed channelClosed notice'));
      return;
    }
    this.session.closeChannel(notice.channel, errorFromBody(notice.error));
  }

  private reply(id: number, action: number, value: unknown): void {
    this.session.sendFrame(buildMessage(MessageType.Reply, CONTROL_CHANNEL, id, 0, action, value));
  }

  private replyError(id: number, action: number, error: QiError): void {
    this.session.sendFrame(buildMessage(MessageType.Error, CONTROL_CHANNEL, id, 0, action, error.toBody()));
  }
}

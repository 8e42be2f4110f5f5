/**
 * Channel 0 of one link: the handshake (handshake.ts: the Capability exchange and authentication), the heartbeat
 * once open (heartbeat.ts), answering the peer's control calls (ping; bind and unbind on the accepting side), and
 * the channel-closed notices. It lives and dies with its link; the session it serves outlives it.
 *
 * It owns the handshake deadline, on both sides: a link that is not open in time is closed with a TimeoutError,
 * and whoever waits for the link to open (a connect, an acceptor's host) learns it from that close.
 */
import type { Identity } from '../auth/authenticator.js';
import { buildMessage, decodeMessageBody } from '../protocol/codec.js';
import {
  CONTROL_CHANNEL,
  ControlAction,
  type BindReply,
  type BindRequest,
  type ChannelClosedNotice,
  type ClosingNotice,
  type UnbindRequest,
} from '../protocol/control.js';
import { BadArgumentsError, ClosedError, errorFromBody, NoSuchMemberError, ProtocolError, TimeoutError, toQiError, type QiError } from '../protocol/errors.js';
import { frameAction, frameId, frameType, MessageType } from '../protocol/header.js';
import type { Link } from '../transports/transport.js';
import { callerOf } from '../auth/roles.js';
import { Handshake, type HandshakeAuth, type PeerFeatures, type SessionRole } from './handshake.js';
import { Heartbeat, type HeartbeatOptions } from './heartbeat.js';

export type { PeerFeatures, SessionRole } from './handshake.js';
export { DEFAULT_HEARTBEAT, type HeartbeatOptions } from './heartbeat.js';

/** How an accepting side answers `bind(name)`: with the new channel and the service's meta-object. */
/** Answers a bind of service `name` on `session`, for `caller` (see `callerOf`: the peer, or a gateway's client). */
export type BindHandler<S> = (name: string, session: S, caller: Identity | undefined) => Promise<BindReply>;

/** What the control channel needs of the session it serves. */
export interface ControlSession<S> {
  readonly role: SessionRole;
  /** The session itself, as handed to the bind handler. */
  readonly self: S;
  /** Frames received so far (on any link): the heartbeat only looks at whether it grew. */
  readonly framesIn: number;
  /** False while this side paused reading for backpressure: silence it caused is no sign of a dead peer. */
  readonly isReading: boolean;
  sendFrame(frame: Uint8Array): boolean;
  /** Sends a ping on channel 0 as one of this side's calls; its answer is settled like any other. */
  ping(): void;
  /** Settles one of this side's calls on channel 0 from a Reply, Error or Canceled frame. */
  settle(frame: Uint8Array, channel: number): void;
  /** Ends one channel: its calls fail and its endpoint is told, with `error`. */
  closeChannel(channel: number, error: QiError): void;
  /** The handshake completed on this link; `identity` is the peer's, if it authenticated. */
  opened(identity: Identity | undefined, features: PeerFeatures): void;
  /** The peer said it is closing the link on purpose, and why (ClosingNotice). */
  peerClosing(reason: string): void;
  /** Who the peer authenticated as, once the handshake is done. */
  readonly identity: Identity | undefined;
}

export class ControlChannel<S> {
  private open = false;
  private readonly handshakeTimer: ReturnType<typeof setTimeout>;
  private readonly handshaking: Handshake;
  private heartbeatTimer: Heartbeat | undefined;

  constructor(
    private readonly session: ControlSession<S>,
    private readonly link: Link,
    private readonly bind: BindHandler<S> | undefined,
    handshakeTimeoutMs: number,
    heartbeat: Required<HeartbeatOptions> | false,
    auth: HandshakeAuth,
  ) {
    this.handshakeTimer = setTimeout(
      () => link.close(new TimeoutError(`no handshake from ${link.remote} within ${handshakeTimeoutMs} ms`)),
      handshakeTimeoutMs,
    );
    this.handshaking = new Handshake(session.role, link, (frame) => void session.sendFrame(frame), auth, (identity, features) => {
      clearTimeout(this.handshakeTimer);
      this.open = true;
      if (heartbeat && !link.inProcess) {
        this.heartbeatTimer = new Heartbeat(link, heartbeat, () => (session.isReading ? session.framesIn : -1), () => session.ping());
      }
      session.opened(identity, features);
    });
    this.handshaking.start();
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** The link went away: nothing of this control channel may fire any more. */
  dispose(): void {
    clearTimeout(this.handshakeTimer);
    this.heartbeatTimer?.stop();
  }

  /** A frame before the link is open: the handshake's. */
  handshake(frame: Uint8Array): void {
    this.handshaking.receive(frame);
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
    if (type === MessageType.Post && frameAction(frame) === ControlAction.closing && this.session.role === 'initiator') {
      this.onClosingNotice(frame);
      return true;
    }
    return false;
  }

  /** Tells the initiator that a channel it bound has ended on this side. */
  notifyChannelClosed(channel: number, error: QiError): void {
    const notice: ChannelClosedNotice = { channel, error: { code: error.code, message: error.message } };
    this.session.sendFrame(buildMessage(MessageType.Post, CONTROL_CHANNEL, 0, 0, ControlAction.channelClosed, notice));
  }

  /** Tells the initiator this side closes the link on purpose, just before it does (the close then reads so). */
  notifyClosing(reason: string): void {
    if (!this.open) return;
    const notice: ClosingNotice = { reason };
    this.session.sendFrame(buildMessage(MessageType.Post, CONTROL_CHANNEL, 0, 0, ControlAction.closing, notice));
  }

  private onClosingNotice(frame: Uint8Array): void {
    let notice: unknown;
    try {
      notice = decodeMessageBody(frame);
    } catch (err) {
      this.link.close(toQiError(err));
      return;
    }
    const reason = typeof notice === 'object' && notice !== null ? (notice as Partial<ClosingNotice>).reason : undefined;
    // A stranger's text, kept for an error message only: bounded.
    if (typeof reason === 'string') this.session.peerClosing(reason.slice(0, 256));
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
      bind(request.name, this.session.self, callerOf(this.session.identity, request.onBehalfOf)).then(
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

/**
 * The client's end of one binding: it turns `call(name, args)` into a Call frame on its channel and matches the
 * answer through the link's call table. It is the direct path a bound Client installs (DESIGN §4): a call costs a
 * map lookup and an encode, no actor event.
 */
import { ControlAction, MAIN_OBJECT, type BindReply, type MetaObject } from '../protocol/control.js';
import { ClosedError, NoSuchMemberError, ProtocolError, type QiError } from '../protocol/errors.js';
import { frameType, MessageType } from '../protocol/header.js';
import type { ChannelEndpoint, LinkSession } from '../session/link-session.js';

export class ClientChannel implements ChannelEndpoint {
  private channelNumber = 0;
  private meta: MetaObject | undefined;
  private readonly methodIds = new Map<string, number>();
  private endedWith: QiError | undefined;
  private readonly closedListeners = new Set<(error: QiError) => void>();

  constructor(
    readonly session: LinkSession,
    readonly serviceName: string,
  ) {}

  get channel(): number {
    return this.channelNumber;
  }

  get metaObject(): MetaObject | undefined {
    return this.meta;
  }

  /** Why the binding ended, once it has. */
  get error(): QiError | undefined {
    return this.endedWith;
  }

  /** Asks the far side of the link to bind `serviceName`; on success the channel routes to this object. */
  async bind(): Promise<BindReply> {
    const reply = checkBindReply(await this.session.controlCall(ControlAction.bind, { name: this.serviceName }));
    if (this.endedWith) {
      // Closed while the bind was under way: release the channel the far side just opened for us.
      this.session.controlCall(ControlAction.unbind, { channel: reply.channel }).catch(() => undefined);
      throw this.endedWith;
    }
    this.channelNumber = reply.channel;
    this.meta = reply.metaObject;
    for (const method of reply.metaObject.methods) this.methodIds.set(method.name, method.id);
    this.session.attachChannel(reply.channel, this);
    return reply;
  }

  call(method: string, args: unknown[]): Promise<unknown> {
    if (this.endedWith) return Promise.reject(this.endedWith);
    const id = this.methodIds.get(method);
    if (id === undefined) {
      return Promise.reject(new NoSuchMemberError(`${this.serviceName} has no method '${method}'`));
    }
    return this.session.call(this.channelNumber, MAIN_OBJECT, id, args);
  }

  /** Ends the binding from this side: pending calls fail with ClosedError and the far side is told (best effort). */
  unbind(): Promise<void> {
    if (this.endedWith) return Promise.resolve();
    const error = new ClosedError(`client of ${this.serviceName} closed`);
    this.end(error);
    if (this.channelNumber === 0 || this.session.isClosed) return Promise.resolve();
    this.session.detachChannel(this.channelNumber);
    this.session.calls.failChannel(this.channelNumber, error);
    return this.session.controlCall(ControlAction.unbind, { channel: this.channelNumber }).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Calls `listener` once when the binding ends (at once if it has). Returns an unsubscribe function. */
  onEnded(listener: (error: QiError) => void): () => void {
    if (this.endedWith) listener(this.endedWith);
    else this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  onFrame(frame: Uint8Array): void {
    const type = frameType(frame);
    // Only answers are expected on a client channel in this version; anything else is counted and dropped.
    if (type === MessageType.Reply || type === MessageType.Error) this.session.settle(frame);
    else this.session.stats.strayFrames++;
  }

  onClosed(error: QiError): void {
    this.end(error);
  }

  toJSON(): object {
    return { service: this.serviceName, channel: this.channelNumber, ended: this.endedWith?.code ?? null };
  }

  private end(error: QiError): void {
    if (this.endedWith) return;
    this.endedWith = error;
    const listeners = [...this.closedListeners];
    this.closedListeners.clear();
    for (const listener of listeners) listener(error);
  }
}

/** A bind reply comes from the peer: check its shape before a channel number or member id is trusted. */
function checkBindReply(body: unknown): BindReply {
  const reply = body as Partial<BindReply> | null;
  const channel = reply?.channel;
  const meta = reply?.metaObject;
  const validChannel = typeof channel === 'number' && Number.isInteger(channel) && channel > 0 && channel <= 0xffffffff;
  const validMeta =
    typeof meta === 'object' && meta !== null && Array.isArray(meta.methods) &&
    meta.methods.every((m) => typeof m?.name === 'string' && Number.isInteger(m?.id) && Number.isInteger(m?.arity));
  if (!validChannel || !validMeta) throw new ProtocolError('malformed bind reply', { reply: body });
  return reply as BindReply;
}

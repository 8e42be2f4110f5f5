/**
 * Serves a service object on the channels bound to it. Each binding gets a ChannelEndpoint that decodes Calls and
 * Posts, checks the member and the argument count, runs the user's method outside any actor (DESIGN §4: user code
 * never runs inside an XState action), and answers with a Reply, or an Error with a stable code.
 */
import { decodeMessageBody } from '../protocol/codec.js';
import { MAIN_OBJECT } from '../protocol/control.js';
import { BadArgumentsError, NoSuchMemberError, RemoteError, toQiError, type QiError } from '../protocol/errors.js';
import { frameAction, frameId, frameObject, frameType, MessageType } from '../protocol/header.js';
import type { ChannelEndpoint, LinkSession } from '../session/link-session.js';
import type { MemberTable, MethodEntry } from './meta-object.js';

export interface DispatcherStats {
  calls: number;
  posts: number;
  errors: number;
  /** Posts to a member that does not exist: dropped, never answered. */
  droppedPosts: number;
}

export class ServiceDispatcher {
  readonly stats: DispatcherStats = { calls: 0, posts: 0, errors: 0, droppedPosts: 0 };

  constructor(private readonly members: MemberTable) {}

  get metaObject(): MemberTable['metaObject'] {
    return this.members.metaObject;
  }

  /** The endpoint that serves one binding on one link. */
  endpointFor(session: LinkSession, channelRef: { channel: number }): ChannelEndpoint {
    return {
      onFrame: (frame) => this.onFrame(session, channelRef.channel, frame),
      onClosed: () => {},
    };
  }

  private onFrame(session: LinkSession, channel: number, frame: Uint8Array): void {
    const type = frameType(frame);
    if (type === MessageType.Call) this.onCall(session, channel, frame);
    else if (type === MessageType.Post) this.onPost(session, frame);
    else if (type === MessageType.Reply || type === MessageType.Error) session.settle(frame);
    // Cancel, Event and Capability frames on a service channel carry nothing this version acts on.
  }

  private onCall(session: LinkSession, channel: number, frame: Uint8Array): void {
    this.stats.calls++;
    const id = frameId(frame);
    const object = frameObject(frame);
    const action = frameAction(frame);
    const fail = (error: QiError): void => {
      this.stats.errors++;
      session.replyError(channel, id, object, action, error);
    };
    let method: MethodEntry;
    let args: unknown[];
    try {
      ({ method, args } = this.resolve(object, action, decodeMessageBody(frame)));
    } catch (err) {
      fail(toQiError(err));
      return;
    }
    let result: unknown;
    try {
      result = method.invoke(args, { session });
    } catch (err) {
      fail(toQiError(err));
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.answer(session, channel, id, object, action, value, fail),
        (err: unknown) => fail(toQiError(err)),
      );
    } else {
      this.answer(session, channel, id, object, action, result, fail);
    }
  }

  private onPost(session: LinkSession, frame: Uint8Array): void {
    this.stats.posts++;
    let call: { method: MethodEntry; args: unknown[] };
    try {
      call = this.resolve(frameObject(frame), frameAction(frame), decodeMessageBody(frame));
    } catch {
      this.stats.droppedPosts++;
      return;
    }
    try {
      const result = call.method.invoke(call.args, { session });
      // A post has no one to report to; a rejected promise must still not go unhandled.
      if (isThenable(result)) result.then(undefined, () => this.stats.errors++);
    } catch {
      this.stats.errors++;
    }
  }

  private resolve(object: number, action: number, body: unknown): { method: MethodEntry; args: unknown[] } {
    const member = object === MAIN_OBJECT ? this.members.methodsById.get(action) : undefined;
    if (!member) throw new NoSuchMemberError(`${this.metaObject.name} has no method with id ${action} on object ${object}`);
    if (!Array.isArray(body)) throw new BadArgumentsError(`${member.name}: arguments must be a CBOR array`);
    if (body.length !== member.arity) {
      throw new BadArgumentsError(`${member.name} takes ${member.arity} argument(s), got ${body.length}`);
    }
    return { method: member, args: body };
  }

  private answer(
    session: LinkSession,
    channel: number,
    id: number,
    object: number,
    action: number,
    value: unknown,
    fail: (error: QiError) => void,
  ): void {
    try {
      session.reply(channel, id, object, action, value);
    } catch (err) {
      fail(new RemoteError(`the result cannot be encoded: ${(err as Error).message}`));
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

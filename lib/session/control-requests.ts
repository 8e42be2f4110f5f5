/**
 * Answering Calls on a link's control channel: ping on either side; bind and unbind on the accepting side,
 * through its ControlHandler (a Service binds its own name, a Gateway any registered name).
 */
import { decodeMessageBody } from '../protocol/codec.js';
import { CONTROL_CHANNEL, ControlAction, type BindRequest, type UnbindRequest } from '../protocol/control.js';
import { BadArgumentsError, NoSuchMemberError, toQiError, type QiError } from '../protocol/errors.js';
import { frameAction, frameId } from '../protocol/header.js';
import type { ControlHandler, LinkSession } from './link-session.js';

export function answerControlCall(session: LinkSession, control: ControlHandler | undefined, frame: Uint8Array): void {
  const id = frameId(frame);
  const action = frameAction(frame);
  const reply = (value: unknown): void => session.reply(CONTROL_CHANNEL, id, 0, action, value);
  const fail = (error: QiError): void => session.replyError(CONTROL_CHANNEL, id, 0, action, error);
  let body: unknown;
  try {
    body = decodeMessageBody(frame);
  } catch (err) {
    // The control channel is the link's own: a peer that garbles it loses the link.
    session.close(err as QiError);
    return;
  }
  if (action === ControlAction.ping) return reply(undefined);
  if (!control || (action !== ControlAction.bind && action !== ControlAction.unbind)) {
    return fail(new NoSuchMemberError(`control action ${action} is not served on this side of the link`));
  }
  const request = (typeof body === 'object' && body !== null ? body : {}) as Partial<BindRequest & UnbindRequest>;
  if (action === ControlAction.bind) {
    if (typeof request.name !== 'string') return fail(new BadArgumentsError('bind expects { name: string }'));
    control.bind(request.name, session).then(reply, (err: unknown) => fail(toQiError(err)));
    return;
  }
  if (typeof request.channel !== 'number') return fail(new BadArgumentsError('unbind expects { channel: number }'));
  control.unbind(request.channel, session);
  reply(undefined);
}

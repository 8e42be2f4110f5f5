/**
 * Authenticating libqi clients on the serving side, as libqi's AuthProvider does: each client link gets its own
 * step function (from the `authenticate` factory), called with the `auth_*` fields of each `authenticate`
 * message (prefix removed, plus `remoteEndpoint`); it answers done (state 3), continue with fields for the
 * client (state 2, e.g. a challenge), or refused with a reason (an Error "Authentication failed: <reason>", then
 * the link is closed). With an authenticator, a link whose first message is not `authenticate`, or that calls
 * before it is done, is closed.
 *
 * ```ts
 * await createLibqiService('Zoo', zoo, { directory, authenticate: libqiTokenAuthenticator({ alice: 's3cret' }) });
 * ```
 */
import { timingSafeEqual } from 'node:crypto';

export type LibqiAuthDecision =
  | { readonly state: 'done' }
  | { readonly state: 'continue'; readonly fields: Readonly<Record<string, string>> }
  | { readonly state: 'refused'; readonly reason: string };

/** One link's authentication: called once per `authenticate` step. */
export type LibqiAuthStep = (fields: Readonly<Record<string, unknown>>) => LibqiAuthDecision | Promise<LibqiAuthDecision>;

/** Makes each new link's step function (libqi's AuthProviderFactory). */
export type LibqiAuthenticator = () => LibqiAuthStep;

/** Accepts a client whose `auth_user` is one of `tokens` and whose `auth_token` is that user's (libqi's usual scheme). */
export function libqiTokenAuthenticator(tokens: Readonly<Record<string, string>>): LibqiAuthenticator {
  return () => (fields) => {
    const user = fields['user'];
    const token = fields['token'];
    if (typeof user !== 'string' || !Object.hasOwn(tokens, user)) return { state: 'refused', reason: 'unknown user' };
    if (typeof token !== 'string' || !sameText(token, tokens[user]!)) return { state: 'refused', reason: 'bad token' };
    return { state: 'done' };
  };
}

/** Constant-time comparison, so a token cannot be found byte by byte from answer times. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticating libqi clients on the serving side, as libqi's AuthProvider does: each client link gets its own
 * step function (from the `authenticate` factory), called with the `auth_*` fields of each `authenticate`
 * message (prefix removed, plus `remoteEndpoint`); it answers done (state 3), continue with fields for the
 * client (state 2, e.g. a challenge), or refused with a reason (an Error "Authentication failed: <reason>", then
 * the link is closed). With an authenticator, a link whose first message is not `authenticate`, or that calls
 * before it is done, is closed. The identity a `done` decision gives is what the service's `withContext` methods
 * see as `context.identity` for that link's calls (as a native service's authenticator's).
 *
 * ```ts
 * await createLibqiService('Zoo', zoo, { directory, authenticate: libqiTokenAuthenticator({ alice: 's3cret' }) });
 * ```
 */
import { timingSafeEqual } from 'node:crypto';
import type { Identity } from '../auth/authenticator.js';

export type LibqiAuthDecision =
  /** Let in; `identity` (default none: an anonymous caller) is who the link's calls come from. */
  | { readonly state: 'done'; readonly identity?: Identity }
  | { readonly state: 'continue'; readonly fields: Readonly<Record<string, string>> }
  | { readonly state: 'refused'; readonly reason: string };

/** One link's authentication: called once per `authenticate` step. */
export type LibqiAuthStep = (fields: Readonly<Record<string, unknown>>) => LibqiAuthDecision | Promise<LibqiAuthDecision>;

/** Makes each new link's step function (libqi's AuthProviderFactory). */
export type LibqiAuthenticator = () => LibqiAuthStep;

/** A user's token, or the token and the roles its identity carries. */
export type LibqiTokenEntry = string | { readonly token: string; readonly roles?: readonly string[] };

/**
 * Accepts a client whose `auth_user` is one of `tokens` and whose `auth_token` is that user's (libqi's usual
 * scheme); its identity is `{ user }` (with the entry's `roles`, if any).
 */
export function libqiTokenAuthenticator(tokens: Readonly<Record<string, LibqiTokenEntry>>): LibqiAuthenticator {
  return () => (fields) => {
    const user = fields['user'];
    const token = fields['token'];
    if (typeof user !== 'string' || !Object.hasOwn(tokens, user)) return { state: 'refused', reason: 'unknown user' };
    const entry = tokens[user]!;
    const expected = typeof entry === 'string' ? entry : entry.token;
    if (typeof token !== 'string' || !sameText(token, expected)) return { state: 'refused', reason: 'bad token' };
    const roles = typeof entry === 'string' ? undefined : entry.roles;
    return { state: 'done', identity: roles === undefined ? { user } : { user, roles: [...roles] } };
  };
}

/** Constant-time comparison, so a token cannot be found byte by byte from answer times. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

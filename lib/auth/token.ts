/**
 * A shared token per user: the connecting side sends `{ user, token }`. Compared in constant time (of their
 * SHA-256 digests, so that neither the token's length nor its first differing byte shows in the timing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Authenticator, Identity } from './authenticator.js';

export interface TokenUser {
  token: string;
  roles?: readonly string[];
}

/** Lets in a peer whose `{ user, token }` matches one of `users` (a single token: `{ app: { token } }`). */
export function tokenAuthenticator(users: Readonly<Record<string, TokenUser>>): Authenticator {
  const digests = new Map(Object.entries(users).map(([user, { token, roles }]) => [user, { digest: digest(token), roles }]));
  const nobody = digest('');
  return ({ user = '', token = '' }) => {
    const known = Object.hasOwn(users, user) ? digests.get(user) : undefined;
    // Compare even for an unknown user, so that its timing does not say which users exist.
    const matches = timingSafeEqual(digest(token), known?.digest ?? nobody) && known !== undefined;
    if (!matches) return { refused: 'bad user or token' };
    const identity: Identity = known.roles ? { user, roles: known.roles } : { user };
    return { identity };
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

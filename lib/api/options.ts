/** Options every factory of the public API takes. */
import type { InspectOption } from '../actor-runtime.js';
import type { Logger } from '../diagnostics.js';
import { qiError, isErrorCode, type QiError, ConnectionLostError } from '../protocol/errors.js';
import type { TransportRegistry } from '../transports/registry.js';
import { platformTransports } from './platform-defaults.js';
import type { ErrorSummary } from '../actor-runtime.js';

export interface CommonOptions {
  /** The transports to use by URL scheme; default: memory and tcp. */
  transports?: TransportRegistry;
  /** An XState inspection observer (e.g. `@statelyai/inspect`'s `inspector.inspect`). Off unless given. */
  inspect?: InspectOption;
  /** Largest frame body accepted from a peer, in bytes (default 16 MiB). */
  maxBodySize?: number;
  /** Most channels (bindings) on one link (default 65,536). */
  maxChannels?: number;
  /** Most calls one side may have in flight on one link (default 100,000). */
  maxPendingCalls?: number;
  /** How long a new link may take to complete its handshake, in ms (default 10,000). */
  handshakeTimeoutMs?: number;
  /**
   * Where the library logs: actor states at `debug`, a signal listener that threw at `warn`, actor failures at
   * `error`. Nothing is printed without one. See also `qimessaging:frame` / `qimessaging:lifecycle` diagnostics.
   */
  logger?: Logger;
}

/** The pieces of CommonOptions each layer passes on, with defaults applied. */
export function resolveOptions(options: CommonOptions) {
  const limits = {
    ...(options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize }),
    ...(options.maxChannels === undefined ? {} : { maxChannels: options.maxChannels }),
    ...(options.maxPendingCalls === undefined ? {} : { maxPendingCalls: options.maxPendingCalls }),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
  };
  return { transports: options.transports ?? platformTransports(), inspect: options.inspect, logger: options.logger, limits };
}

/** Rebuilds the typed error an actor stored in its context. */
export function errorFromSummary(summary: ErrorSummary | null, fallback: string): QiError {
  if (!summary) return new ConnectionLostError(fallback);
  return isErrorCode(summary.code) ? qiError(summary.code, summary.message) : new ConnectionLostError(summary.message);
}

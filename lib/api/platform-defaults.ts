/**
 * What a factory uses when given nothing else, by platform. Each entry point installs its own: lib/index.ts
 * (Node: memory, tcp, ws transports; the in-process libqi bridge) and lib/browser.ts (the browser's WebSocket, no
 * libqi), so that nothing on the browser's import path reaches for a Node module.
 */
import type { InspectOption } from '../actor-runtime.js';
import type { Logger } from '../diagnostics.js';
import type { LibqiConnectOptions } from '../libqi/libqi-connection.js';
import { TransportError } from '../protocol/errors.js';
import type { TransportRegistry } from '../transports/registry.js';

let makeDefaults: () => TransportRegistry = () => {
  throw new TransportError('no default transports on this platform: pass the `transports` option');
};

/** A running in-process bridge: a gateway to a libqi directory that only the Connection which started it reaches. */
export interface InProcessBridge {
  /** Where the Connection dials it, on `transports` (a `memory://` endpoint of its own transport). */
  readonly url: string;
  readonly transports: TransportRegistry;
  /** Ends its bindings and closes every libqi link. Idempotent. */
  close(): Promise<void>;
}

/** What the Connection passes on to its bridge (the names and meanings of CommonOptions). */
export interface InProcessBridgeOptions {
  maxBodySize?: number;
  maxPendingCalls?: number;
  maxCallsInFlightPerBinding?: number;
  maxSubscriptionsPerLink?: number;
  logger?: Logger;
  inspect?: InspectOption;
}

/** Starts the bridge `connect(url, { libqi })` dials (lib/api/in-process-bridge.ts), on platforms that have one. */
export type LibqiBridgeStarter = (libqiUrl: string, libqi: LibqiConnectOptions, options: InProcessBridgeOptions) => Promise<InProcessBridge>;

let startLibqiBridge: LibqiBridgeStarter = async () => {
  throw new TransportError("libqi's links (tcp://, tcps://) need Node: `connect(url, { libqi })` is not available on this platform");
};

export function setDefaultTransports(factory: () => TransportRegistry): void {
  makeDefaults = factory;
}

export function platformTransports(): TransportRegistry {
  return makeDefaults();
}

export function setLibqiBridge(starter: LibqiBridgeStarter): void {
  startLibqiBridge = starter;
}

export function platformLibqiBridge(): LibqiBridgeStarter {
  return startLibqiBridge;
}

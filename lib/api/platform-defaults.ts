/**
 * The transports a factory uses when given none. Each entry point installs its platform's: lib/index.ts (Node:
 * memory, tcp, ws) and lib/browser.ts (the browser's WebSocket), so that nothing on the browser's import path
 * reaches for a Node module.
 */
import { TransportError } from '../protocol/errors.js';
import type { TransportRegistry } from '../transports/registry.js';

let makeDefaults: () => TransportRegistry = () => {
  throw new TransportError('no default transports on this platform: pass the `transports` option');
};

export function setDefaultTransports(factory: () => TransportRegistry): void {
  makeDefaults = factory;
}

export function platformTransports(): TransportRegistry {
  return makeDefaults();
}

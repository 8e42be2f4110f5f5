/**
 * What `connect(url, { libqi })` dials: a Gateway in this process whose only directory is the libqi one at `url`
 * (createGateway's `libqiDirectory`, lib/gateway/libqi-bridge.ts), listening on a MemoryTransport of its own, so
 * the Connection's link to it is a function call and nothing else can reach it. Everything past that link is the
 * gateway bridge's and the Connection's own: typed clients, rebinding, signal iterators, properties, cancellation,
 * the read-only directory view. Installed by the Node entry (lib/index.ts); a browser has no libqi links.
 */
import { MemoryTransport } from '../transports/memory.js';
import { TransportRegistry } from '../transports/registry.js';
import type { LibqiConnectOptions } from '../libqi/libqi-connection.js';
import { createGateway } from './gateway.js';
import type { InProcessBridge, InProcessBridgeOptions } from './platform-defaults.js';

export async function startInProcessBridge(libqiUrl: string, libqi: LibqiConnectOptions, options: InProcessBridgeOptions): Promise<InProcessBridge> {
  const transports = new TransportRegistry([new MemoryTransport()]);
  const gateway = await createGateway({
    ...options,
    libqiDirectory: libqiUrl,
    libqi,
    listen: ['memory://libqi-bridge'],
    transports,
    // Its one link is the Connection's: a share of bindings per link would only bound that Connection's clients (and
    // the objects its calls return, which the link's channels still bound: docs/PROTOCOL.md §11, Objects).
    maxBindingsPerLink: Number.MAX_SAFE_INTEGER,
  });
  return { url: gateway.url, transports, close: () => gateway.close() };
}

/** Node's default transports: the process-wide memory namespace, TCP, WebSocket and TLS. */
import { MemoryTransport } from './memory.js';
import { TransportRegistry } from './registry.js';
import { TcpTransport } from './tcp.js';
import { TlsTransport } from './tls.js';
import { WebSocketTransport } from './websocket.js';

const sharedMemory = new MemoryTransport();

/**
 * A registry with the process-wide memory transport, TCP, WebSocket (`ws://`) and TLS for connecting with the
 * system's CAs (`tls://`; to listen, or to trust another CA, register a `new TlsTransport({ cert, key, ca })`).
 */
export function defaultTransports(): TransportRegistry {
  return new TransportRegistry([sharedMemory, new TcpTransport(), new WebSocketTransport(), new TlsTransport()]);
}

/** Node's default transports: the process-wide memory namespace, TCP, WebSocket, TLS and NATS. */
import { MemoryTransport } from './memory.js';
import { NatsTransport } from './nats.js';
import { TransportRegistry } from './registry.js';
import { TcpTransport } from './tcp.js';
import { TlsTransport } from './tls.js';
import { WebSocketTransport } from './websocket.js';

const sharedMemory = new MemoryTransport();

/**
 * A registry with the process-wide memory transport, TCP, WebSocket (`ws://`), TLS for connecting with the
 * system's CAs (`tls://`; to listen, or to trust another CA, register a `new TlsTransport({ cert, key, ca })`) and
 * NATS (`nats://host:port/SUBJECT`; the client is loaded on first use; for credentials or TLS to the NATS server,
 * register a `new NatsTransport({ connection })`).
 */
export function defaultTransports(): TransportRegistry {
  return new TransportRegistry([sharedMemory, new TcpTransport(), new WebSocketTransport(), new TlsTransport(), new NatsTransport()]);
}

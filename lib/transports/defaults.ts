/** Node's default transports: the process-wide memory namespace, TCP and WebSocket. */
import { MemoryTransport } from './memory.js';
import { TransportRegistry } from './registry.js';
import { TcpTransport } from './tcp.js';
import { WebSocketTransport } from './websocket.js';

const sharedMemory = new MemoryTransport();

/** A registry with the process-wide memory transport, TCP and WebSocket (`ws://`). */
export function defaultTransports(): TransportRegistry {
  return new TransportRegistry([sharedMemory, new TcpTransport(), new WebSocketTransport()]);
}

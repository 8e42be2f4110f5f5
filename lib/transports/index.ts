export type { Link, Listener, Transport, ConnectOptions, ListenOptions, LinkOptions } from './transport.js';
export { BaseLink } from './base-link.js';
export { MemoryTransport } from './memory.js';
export { TcpTransport, TcpLink } from './tcp.js';
export { WebSocketTransport } from './websocket.js';
export { WebSocketLink } from './websocket-link.js';
export { NatsTransport } from './nats.js';
export { TransportRegistry } from './registry.js';
export { defaultTransports } from './defaults.js';

/**
 * qimessaging in a browser: connect to a gateway or a service over WebSocket, bind services, call them, watch
 * their signals and properties. Bundle this entry (`qimessaging/browser`); nothing on its import path is Node's.
 *
 * ```ts
 * import { connect } from 'qimessaging/browser';
 * const conn = await connect(`ws://${location.host}/qi`);
 * const clock = await conn.service('clock');
 * await clock.on('tick', (n) => (document.querySelector('#tick')!.textContent = String(n)));
 * ```
 */
import { setDefaultTransports } from './api/platform-defaults.js';
import { BrowserWebSocketTransport } from './transports/browser-websocket.js';
import { TransportRegistry } from './transports/registry.js';

setDefaultTransports(() => new TransportRegistry([new BrowserWebSocketTransport('ws'), new BrowserWebSocketTransport('wss')]));

export { connect, Connection, type ConnectOptions, type ClientOptions } from './api/connection.js';
export { ServiceClient, type ServiceProxy } from './api/service-client.js';
export { RemoteProperty, type ReadOnlyRemoteProperty } from './api/remote-property.js';
export type { Implementation, MethodImplementation } from './api/service-contract.js';
export type { CallOptions } from './client/client-channel.js';
export type { SignalIterator } from './api/signal-iterator.js';
export type { Signal, Property, ReadOnlyProperty } from './service/members.js';
export type * from './api/service-types.js';
export type { MetaObject, MetaMethod, MetaSignal, MetaProperty } from './protocol/control.js';
export * from './protocol/errors.js';
export { TransportRegistry } from './transports/registry.js';
export { BrowserWebSocketTransport } from './transports/browser-websocket.js';

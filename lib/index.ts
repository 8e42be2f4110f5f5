/**
 * qimessaging: services, a gateway and a service directory as XState v5 actors, exchanging CBOR frames over
 * pluggable transports. Start with `createServiceDirectory`, `createGateway`, `createService` and `connect`.
 * This is the Node entry; lib/browser.ts is the browser's.
 */
import { startInProcessBridge } from './api/in-process-bridge.js';
import { setDefaultTransports, setLibqiBridge } from './api/platform-defaults.js';
import { defaultTransports } from './transports/defaults.js';

setDefaultTransports(defaultTransports);
setLibqiBridge(startInProcessBridge);

export { connect, Connection, type ConnectOptions, type ClientOptions, type ReconnectOptions } from './api/connection.js';
export type { Status } from './api/status.js';
export type { SignalIterator } from './api/signal-iterator.js';
export { ServiceClient, type ServiceProxy } from './api/service-client.js';
export { RemoteProperty, type ReadOnlyRemoteProperty } from './api/remote-property.js';
export type { Implementation, MethodImplementation } from './api/service-contract.js';
export type { CallOptions } from './client/client-channel.js';
export type * from './api/service-types.js';
export { signal, property, Signal, Property, type PropertyOptions, type ReadOnlyProperty } from './service/members.js';
export { withContext, type CallContext, type ContextualMethod } from './service/meta-object.js';
export { withArity } from './service/arity.js';
export { createService, Service, type ServiceOptions } from './api/service.js';
export { createGateway, Gateway, type GatewayOptions } from './api/gateway.js';
export type { BindAuthorizer, BindRequestInfo } from './gateway/bind-admission.js';
export type { LibqiBridgeOptions } from './gateway/libqi-bridge.js';
export { Role, hasRole } from './auth/roles.js';
export { createServiceDirectory, ServiceDirectory, type ServiceDirectoryOptions } from './api/service-directory.js';
export { jetStreamDirectory, type JetStreamDirectoryOptions } from './directory/jetstream-store.js';
export type { DirectoryStore, DirectoryStoreFactory, DirectoryStoreWatcher } from './directory/directory-store.js';
export type { CommonOptions } from './api/options.js';
export type { Authenticator, AuthMap, AuthResult, Credentials, Identity, PeerInfo } from './auth/authenticator.js';
export { tokenAuthenticator, type TokenUser } from './auth/token.js';
export { hashPassword, passwordAuthenticator, type PasswordUser } from './auth/password.js';
export type { HeartbeatOptions } from './session/control-channel.js';
export type { BackoffOptions } from './session/backoff.js';
export type { InspectOption } from './actor-runtime.js';
export { FRAME_CHANNEL, LIFECYCLE_CHANNEL, type FrameMessage, type LifecycleMessage, type Logger } from './diagnostics.js';
export type { ServiceRecord } from './directory/directory-client.js';
export type { DirectoryService } from './directory/directory-service.js';
export { onOwnHost, type Registrant, type RegistrationPolicy } from './directory/registration-policy.js';
export type { ServiceLoad, TraceEvent } from './gateway/call-tracer.js';
export type { TrafficOptions } from './api/gateway-traffic.js';
export { GATEWAY_MONITOR_NAME, LOAD_INTERVAL_MS, type GatewayMonitorService } from './gateway/gateway-monitor.js';
export type { MetaObject, MetaMethod, MetaSignal, MetaProperty } from './protocol/control.js';
export * from './protocol/errors.js';
export { MessageType, type FrameHeader } from './protocol/header.js';
export { TransportRegistry } from './transports/registry.js';
export { defaultTransports } from './transports/defaults.js';
export { MemoryTransport } from './transports/memory.js';
export { TcpTransport } from './transports/tcp.js';
export { TlsTransport, type TlsTransportOptions } from './transports/tls.js';
export { WebSocketTransport, type WebSocketTransportOptions } from './transports/websocket.js';
export { NatsTransport, type NatsTransportOptions } from './transports/nats.js';
export { BaseLink } from './transports/base-link.js';
export type { PeerCertificate, Transport, Link, Listener, ConnectOptions as TransportConnectOptions, ListenOptions, LinkOptions } from './transports/transport.js';
export * from './libqi/index.js';
export {
  typed,
  TypedValue,
  LibqiObjectRef,
  inferSignature,
  type LibqiMetaObject,
  type LibqiMetaMethod,
  type LibqiMetaSignal,
  type LibqiMetaProperty,
} from './protocol/libqi/index.js';

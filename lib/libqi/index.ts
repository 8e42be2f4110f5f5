export { connectLibqi, LibqiConnection, type LibqiConnectOptions, type LibqiServiceInfo, type LibqiServiceProxy } from './libqi-connection.js';
export { LibqiServiceClient, LibqiProperty, type LibqiCallOptions, type LibqiSignalListener } from './libqi-service-client.js';
export type { LibqiAuthOptions, LibqiCredentials } from './libqi-socket.js';
export { createLibqiService, LibqiService, type LibqiServiceOptions } from './libqi-service.js';
export { withSignature, type MethodSignatureOptions } from './libqi-signatures.js';
export type { LibqiSignatureMap } from './libqi-object-table.js';
export { createLibqiServiceDirectory, LibqiServiceDirectory, type LibqiServiceDirectoryOptions } from './libqi-service-directory.js';
export type { LibqiLinkLimits } from './libqi-link-admission.js';
export { libqiTokenAuthenticator, type LibqiAuthenticator, type LibqiAuthStep, type LibqiAuthDecision, type LibqiTokenEntry } from './libqi-server-auth.js';

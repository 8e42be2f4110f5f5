/**
 * Typed errors with stable codes. The same codes travel in Error frames (`{ code, message, data? }`) and are
 * rebuilt on the caller's side as the matching class, so `err instanceof ServiceGoneError` and
 * `err.code === 'ServiceGone'` both work across a link.
 */

/** Every stable error code of protocol version 1. */
export const ERROR_CODES = [
  'ServiceNotFound',
  'ServiceAlreadyRegistered',
  'NoSuchMember',
  'BadArguments',
  'ServiceGone',
  'ConnectionLost',
  'Timeout',
  'Canceled',
  'ProtocolError',
  'Unauthorized',
  'PayloadTooLarge',
  'RemoteError',
  'LimitExceeded',
  'Closed',
  'TransportError',
  'DirectoryUnavailable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The body of an Error frame. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  data?: unknown;
}

/** Base class of every error the library throws or rejects with. */
export class QiError extends Error {
  readonly code: ErrorCode;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
    // The subclass's own name (ServiceGoneError, ProtocolError, …) in stack traces and logs.
    this.name = new.target.name;
    // Format the stack now. Until it is read, V8 keeps the structured call sites, which hold their frames'
    // receivers (actors, links, arrays of clients) alive; a binding's ClosedError kept in its channel would then
    // pin every other binding closed in the same call, and closed bindings would never be collected.
    void this.stack;
  }

  /** The Error-frame body for this error. */
  toBody(): ErrorBody {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** The service asked for is not registered in the directory. */
export class ServiceNotFoundError extends QiError {
  constructor(message: string, data?: unknown) { super('ServiceNotFound', message, data); }
}
/** A service with that name is already registered and alive. */
export class ServiceAlreadyRegisteredError extends QiError {
  constructor(message: string, data?: unknown) { super('ServiceAlreadyRegistered', message, data); }
}
/** The service has no method, signal or property with that name or id. */
export class NoSuchMemberError extends QiError {
  constructor(message: string, data?: unknown) { super('NoSuchMember', message, data); }
}
/** The arguments do not fit the member (count or shape), or cannot be encoded as CBOR at all (a circular object). */
export class BadArgumentsError extends QiError {
  constructor(message: string, data?: unknown) { super('BadArguments', message, data); }
}
/** The service behind a binding went away (its link to the gateway closed, or it unregistered). */
export class ServiceGoneError extends QiError {
  constructor(message: string, data?: unknown) { super('ServiceGone', message, data); }
}
/** The link carrying the call closed before the answer came. */
export class ConnectionLostError extends QiError {
  constructor(message: string, data?: unknown) { super('ConnectionLost', message, data); }
}
/** No answer came in time. */
export class TimeoutError extends QiError {
  constructor(message: string, data?: unknown) { super('Timeout', message, data); }
}
/** The call was canceled by its caller. */
export class CanceledError extends QiError {
  constructor(message: string, data?: unknown) { super('Canceled', message, data); }
}
/** The peer broke the protocol: bad magic, version, type, flags, size, or an unexpected frame. */
export class ProtocolError extends QiError {
  constructor(message: string, data?: unknown) { super('ProtocolError', message, data); }
}
/** The peer refused the credentials given in the handshake. */
export class UnauthorizedError extends QiError {
  constructor(message: string, data?: unknown) { super('Unauthorized', message, data); }
}
/** A frame body exceeds the configured maximum. */
export class PayloadTooLargeError extends QiError {
  constructor(message: string, data?: unknown) { super('PayloadTooLarge', message, data); }
}
/** The service's own code threw; `message` is the message it threw with. */
export class RemoteError extends QiError {
  constructor(message: string, data?: unknown) { super('RemoteError', message, data); }
}
/** A configured limit (channels per link, pending calls) would be exceeded. */
export class LimitExceededError extends QiError {
  constructor(message: string, data?: unknown) { super('LimitExceeded', message, data); }
}
/** The handle was closed by its owner. */
export class ClosedError extends QiError {
  constructor(message: string, data?: unknown) { super('Closed', message, data); }
}
/** The transport could not reach or open the endpoint (bad URL, unknown scheme, refused connection). */
export class TransportError extends QiError {
  constructor(message: string, data?: unknown) { super('TransportError', message, data); }
}
/** The gateway cannot reach its ServiceDirectory now, so it cannot look the service up; try again later. */
export class DirectoryUnavailableError extends QiError {
  constructor(message: string, data?: unknown) { super('DirectoryUnavailable', message, data); }
}

const ERROR_CLASSES: Record<ErrorCode, new (message: string, data?: unknown) => QiError> = {
  ServiceNotFound: ServiceNotFoundError,
  ServiceAlreadyRegistered: ServiceAlreadyRegisteredError,
  NoSuchMember: NoSuchMemberError,
  BadArguments: BadArgumentsError,
  ServiceGone: ServiceGoneError,
  ConnectionLost: ConnectionLostError,
  Timeout: TimeoutError,
  Canceled: CanceledError,
  ProtocolError,
  Unauthorized: UnauthorizedError,
  PayloadTooLarge: PayloadTooLargeError,
  RemoteError,
  LimitExceeded: LimitExceededError,
  Closed: ClosedError,
  TransportError,
  DirectoryUnavailable: DirectoryUnavailableError,
};

/** Builds the typed error for a code, e.g. `qiError('ServiceGone', 'tts went away')`. */
export function qiError(code: ErrorCode, message: string, data?: unknown): QiError {
  return new ERROR_CLASSES[code](message, data);
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CLASSES, value);
}

/**
 * Rebuilds a typed error from an Error-frame body received from a peer. A body that is not of the expected shape
 * is itself reported as a ProtocolError rather than trusted.
 */
export function errorFromBody(body: unknown): QiError {
  if (typeof body === 'object' && body !== null) {
    const { code, message, data } = body as Record<string, unknown>;
    if (isErrorCode(code) && typeof message === 'string') return qiError(code, message, data);
  }
  return new ProtocolError('malformed Error frame body', body);
}

/**
 * Wraps anything a user's code threw as a QiError: a QiError passes through (so a service may deliberately
 * answer `BadArguments`), anything else becomes a RemoteError carrying its message.
 */
export function toQiError(thrown: unknown): QiError {
  if (thrown instanceof QiError) return thrown;
  if (thrown instanceof Error) return new RemoteError(thrown.message);
  return new RemoteError(String(thrown));
}

/**
 * The exit status of `qi`, by what went wrong: a script can tell "no such service" from "robot unreachable" from
 * "the method threw" without reading stderr. Documented in README.md ("The `qi` command").
 */
import { QiError, type ErrorCode } from '../protocol/errors.js';
import { UsageError } from './usage-error.js';

export const ExitCode = {
  ok: 0,
  /** The service's own code threw (RemoteError), or another failure without a class of its own. */
  failed: 1,
  /** The command line itself is wrong: unknown command or option, missing or unparsable argument. */
  usage: 2,
  /** No such service, method, signal or property (ServiceNotFound, NoSuchMember). */
  notFound: 3,
  /** The service refused the arguments or the value (BadArguments). */
  badArguments: 4,
  /** No answer in time (Timeout): `--timeout`, or connecting. */
  timeout: 5,
  /** Could not reach the peer, or lost it (TransportError, ConnectionLost, ServiceGone, DirectoryUnavailable, Closed). */
  unreachable: 6,
  /** Credentials refused (Unauthorized). */
  unauthorized: 7,
  /** A limit of the peer's (LimitExceeded, PayloadTooLarge). */
  limit: 8,
  /** The peer broke the protocol (ProtocolError). */
  protocol: 9,
  /** A bug in qi or the library: the stack is printed. */
  internal: 70,
  /** Interrupted (Ctrl-C) before the answer came; the call was canceled at the service. 128 + SIGINT. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_CODE: Record<ErrorCode, ExitCode> = {
  RemoteError: ExitCode.failed,
  ServiceAlreadyRegistered: ExitCode.failed,
  ServiceNotFound: ExitCode.notFound,
  NoSuchMember: ExitCode.notFound,
  BadArguments: ExitCode.badArguments,
  Timeout: ExitCode.timeout,
  TransportError: ExitCode.unreachable,
  ConnectionLost: ExitCode.unreachable,
  ServiceGone: ExitCode.unreachable,
  DirectoryUnavailable: ExitCode.unreachable,
  Closed: ExitCode.unreachable,
  Unauthorized: ExitCode.unauthorized,
  LimitExceeded: ExitCode.limit,
  PayloadTooLarge: ExitCode.limit,
  ProtocolError: ExitCode.protocol,
  Canceled: ExitCode.interrupted,
};

/** The exit status for an error a command ended with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof QiError) return BY_CODE[error.code];
  return ExitCode.internal;
}

/**
 * From the command line and the environment to `connect(url, options)`: the URL (`--connect`, `$QI_URL`, else
 * the robot's usual port), credentials (`--user` with `--token` or `--password`, or their `$QI_*` variables, so
 * that secrets need not be in the process list), and a TLS transport when a CA, a client certificate or
 * `--insecure` is given.
 */
import { readFileSync } from 'node:fs';
import { connect, defaultTransports, TlsTransport, WebSocketTransport, type Connection, type ConnectOptions, type TlsTransportOptions } from '../index.js';
import { integerOption, stringOption, type OptionValues } from './arguments.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_URL = 'tcp://127.0.0.1:9559';
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function connectUrl(values: OptionValues, env: NodeJS.ProcessEnv): string {
  return stringOption(values, 'connect') ?? (env.QI_URL || DEFAULT_URL);
}

function readPem(path: string, command: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, command);
  }
}

/** The options of `connect` for this command line; `lasting` commands (watch, trace, top) reconnect. */
export function connectOptions(values: OptionValues, env: NodeJS.ProcessEnv, command: string, lasting: boolean): ConnectOptions {
  const options: ConnectOptions = {
    timeout: integerOption(values, 'connect-timeout', command) ?? DEFAULT_CONNECT_TIMEOUT_MS,
    reconnect: lasting ? {} : false,
  };
  const user = stringOption(values, 'user') ?? env.QI_USER;
  const token = stringOption(values, 'token') ?? env.QI_TOKEN;
  const password = stringOption(values, 'password') ?? env.QI_PASSWORD;
  if (token !== undefined && password !== undefined) throw new UsageError('give --token or --password, not both', command);
  if (user !== undefined || token !== undefined || password !== undefined) {
    options.credentials = {
      ...(user !== undefined ? { user } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(password !== undefined ? { password } : {}),
    };
  }
  const ca = stringOption(values, 'ca');
  const cert = stringOption(values, 'cert');
  const key = stringOption(values, 'key');
  const insecure = values.insecure === true;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together', command);
  if (ca !== undefined || cert !== undefined || insecure) {
    const tls: TlsTransportOptions = {
      ...(ca !== undefined ? { ca: readPem(ca, command) } : {}),
      ...(cert !== undefined && key !== undefined ? { cert: readPem(cert, command), key: readPem(key, command) } : {}),
      ...(insecure ? { rejectUnauthorized: false } : {}),
    };
    options.transports = defaultTransports()
      .register(new TlsTransport(tls))
      .register(new WebSocketTransport({ scheme: 'wss', clientTls: { ...(tls.ca ? { ca: tls.ca as Buffer } : {}), ...(insecure ? { rejectUnauthorized: false } : {}) } }));
  }
  return options;
}

/** Opens the connection a command asked for. */
export function open(values: OptionValues, env: NodeJS.ProcessEnv, command: string, lasting = false): Promise<Connection> {
  return connect(connectUrl(values, env), connectOptions(values, env, command, lasting));
}

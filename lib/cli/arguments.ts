/**
 * The command line as qi reads it, with Node's own `util.parseArgs`: the options every client command shares
 * (where to connect, credentials, TLS), `SERVICE.MEMBER` targets, and argument values (JSON, or a bare word as a
 * string, as qicli reads them).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** The options of every command that connects somewhere. */
export const CONNECT_OPTIONS = {
  connect: { type: 'string', short: 'c' },
  user: { type: 'string' },
  token: { type: 'string' },
  password: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  'connect-timeout': { type: 'string' },
} as const satisfies OptionSpecs;

export const CONNECT_HELP = `Connecting (every command but serve):
  -c, --connect URL        the gateway (default: $QI_URL, else tcp://127.0.0.1:9559)
      --user NAME          the user to present (default: $QI_USER)
      --token TOKEN        a token for that user (default: $QI_TOKEN)
      --password PASSWORD  a password for that user (default: $QI_PASSWORD; use it over tls://)
      --ca FILE            the CA (PEM) that signed the gateway's certificate, for tls:// and wss://
      --cert FILE, --key FILE   a client certificate and its key (PEM), for mutual TLS
      --insecure           do not verify the gateway's certificate (tests only)
      --connect-timeout MS give up connecting after MS ms (default 5000)`;

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;
const HIDDEN = '\u0000';

/** parseArgs with qi's rules: unknown options and a wrong option type are usage errors of `command`. */
export function parseCommandLine(command: string, argv: string[], options: OptionSpecs): { values: OptionValues; positionals: string[] } {
  // A negative number is an argument value (`qi call calc.add -1 2`), not an option: hidden from parseArgs.
  const args = argv.map((arg) => (NEGATIVE_NUMBER.test(arg) ? HIDDEN + arg : arg));
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as OptionValues, positionals: positionals.map((arg) => (arg.startsWith(HIDDEN) ? arg.slice(HIDDEN.length) : arg)) };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command);
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** A non-negative integer option (ms, counts), or undefined when absent. */
export function integerOption(values: OptionValues, name: string, command: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`--${name} expects a whole number, got '${text}'`, command);
  return value;
}

/** `SERVICE.MEMBER` split at its last dot (service names may hold dots, member names do not). */
export function parseTarget(text: string | undefined, command: string, what = 'SERVICE.MEMBER'): { service: string; member: string } {
  const dot = text?.lastIndexOf('.') ?? -1;
  if (text === undefined || dot <= 0 || dot === text.length - 1) throw new UsageError(`expected ${what}, got ${text === undefined ? 'nothing' : `'${text}'`}`, command);
  return { service: text.slice(0, dot), member: text.slice(dot + 1) };
}

/** An argument value: JSON if it parses (`42`, `true`, `"a b"`, `[1,2]`, `{"x":1}`), else the word itself as a string. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Refuses positionals beyond the first `count`. */
export function noMoreArguments(positionals: string[], count: number, command: string): void {
  if (positionals.length > count) throw new UsageError(`unexpected argument '${positionals[count]}'`, command);
}

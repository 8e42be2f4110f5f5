/**
 * Where qi writes, and how: results on stdout, diagnostics on stderr, colours only when that stream is a
 * terminal and `NO_COLOR` is unset (https://no-color.org), values as JSON (indented unless `--json`).
 */
import { inspect } from 'node:util';

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

type Paint = (text: string) => string;

export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const plain: Paint = (text) => text;
const ansi = (open: number, close: number): Paint => (text) => `\x1b[${open}m${text}\x1b[${close}m`;
const NO_PALETTE: Palette = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
const ANSI_PALETTE: Palette = { bold: ansi(1, 22), dim: ansi(2, 22), red: ansi(31, 39), green: ansi(32, 39), yellow: ansi(33, 39), cyan: ansi(36, 39) };

function colours(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Palette {
  return stream.isTTY === true && !env.NO_COLOR ? ANSI_PALETTE : NO_PALETTE;
}

export class Output {
  /** Colours for stdout and stderr, each by its own stream. */
  readonly out: Palette;
  readonly err: Palette;

  constructor(readonly streams: Streams) {
    this.out = colours(streams.stdout, streams.env);
    this.err = colours(streams.stderr, streams.env);
  }

  get isTerminal(): boolean {
    return this.streams.stdout.isTTY === true;
  }

  line(text = ''): void {
    this.streams.stdout.write(`${text}\n`);
  }

  /** One value as one line of JSON, for scripts. */
  json(value: unknown): void {
    this.line(toJson(value));
  }

  /** A diagnostic on stderr: `qi: …`. */
  note(text: string): void {
    this.streams.stderr.write(`${this.err.dim('qi:')} ${text}\n`);
  }

  /** A failure on stderr: `qi: Code: message`. */
  error(code: string, message: string): void {
    this.streams.stderr.write(`${this.err.dim('qi:')} ${this.err.red(code)}: ${message}\n`);
  }

  /** Raw text on stdout (a TTY redraw). */
  write(text: string): void {
    this.streams.stdout.write(text);
  }
}

/** JSON that also carries what CBOR can and JSON cannot: bigints as numbers' strings, byte arrays as arrays. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, jsonReplacer, indent) ?? 'null';
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** A value as a person reads it: a string as itself, anything else as indented JSON (undefined: nothing). */
export function pretty(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  try {
    return toJson(value, 2);
  } catch {
    return inspect(value, { depth: 8 });
  }
}

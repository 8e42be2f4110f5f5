/**
 * What an application can observe of qimessaging without it printing anything: Node's diagnostics_channel.
 *
 *   qimessaging:frame      { direction: 'in' | 'out', link, remote, header }   one per frame, on every link
 *   qimessaging:lifecycle  { actor, state } or { actor, error }               each actor state change or failure
 *
 * Messages are built only while someone subscribes, so an unobserved process pays one boolean check per frame.
 * Plus an optional console-like `logger` per factory: lifecycle at `debug`, actor failures at `error`.
 */
import type { FrameHeader } from './protocol/header.js';

export const FRAME_CHANNEL = 'qimessaging:frame';
export const LIFECYCLE_CHANNEL = 'qimessaging:lifecycle';

export interface FrameMessage {
  direction: 'in' | 'out';
  /** The link's id, e.g. `link-3`. */
  link: string;
  remote: string;
  header: FrameHeader & { size: number };
}

export type LifecycleMessage = { actor: string; state: unknown } | { actor: string; error: unknown };

/** A console-like logger; every method is optional. */
export interface Logger {
  debug?(message: string, ...details: unknown[]): void;
  info?(message: string, ...details: unknown[]): void;
  warn?(message: string, ...details: unknown[]): void;
  error?(message: string, ...details: unknown[]): void;
}

interface Channel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

/**
 * Loaded through `process.getBuiltinModule` rather than imported, so the browser build has no Node import; in a
 * browser the channels have no subscribers, ever.
 */
const diagnostics = (
  globalThis as { process?: { getBuiltinModule?(id: string): unknown } }
).process?.getBuiltinModule?.('node:diagnostics_channel') as { channel(name: string): Channel } | undefined;
const silent: Channel = { hasSubscribers: false, publish() {} };

export const frameDiagnostics: Channel = diagnostics?.channel(FRAME_CHANNEL) ?? silent;
export const lifecycleDiagnostics: Channel = diagnostics?.channel(LIFECYCLE_CHANNEL) ?? silent;

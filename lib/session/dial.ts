/**
 * Opening a link as the initiator: connect through the transport for the URL's scheme, then complete the
 * handshake. Used wherever a library actor needs a link as a single step (a service reaching the directory, a
 * gateway reaching a service); the Connection actor instead shows each step as a state.
 */
import { TimeoutError } from '../protocol/errors.js';
import type { TransportRegistry } from '../transports/registry.js';
import { LinkSession, type SessionOptions } from './link-session.js';

export interface DialOptions extends SessionOptions {
  maxBodySize?: number;
  signal?: AbortSignal;
  /** Handshake deadline in ms (default 10,000). */
  handshakeTimeoutMs?: number;
}

/** Connects to `endpoint` and resolves once the handshake is done. */
export async function dial(transports: TransportRegistry, endpoint: string, options: DialOptions = {}): Promise<LinkSession> {
  const { url, transport } = transports.resolve(endpoint);
  const link = await transport.connect(url, {
    ...(options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const session = new LinkSession(link, 'initiator', undefined, options);
  await handshake(session, options.handshakeTimeoutMs ?? 10_000, options.signal);
  return session;
}

/** Resolves when `session` is open; rejects (and closes it) on close, timeout or abort. */
export function handshake(session: LinkSession, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      session.close(new TimeoutError(`no handshake from ${session.link.remote} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = (): void => session.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    const unsubscribe: Array<() => void> = [];
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      for (const stop of unsubscribe) stop();
    };
    unsubscribe.push(
      session.onOpen(() => {
        done();
        resolve();
      }),
      session.onClosed((reason) => {
        done();
        reject(reason);
      }),
    );
  });
}

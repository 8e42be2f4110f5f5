/**
 * Opening a link as the initiator, the one way the library does it (a Connection, a gateway reaching a service or
 * the directory, a service reaching the directory): connect through the transport for the URL's scheme, attach
 * the link to a session, and wait for the handshake. The handshake deadline belongs to the link's control channel.
 */
import { ClosedError } from '../protocol/errors.js';
import type { TransportRegistry } from '../transports/registry.js';
import { Session, type SessionOptions } from './session.js';

export interface OpenLinkOptions {
  maxBodySize?: number;
  /** Aborting gives up the attempt: the link being opened is closed and the promise rejects with ClosedError. */
  signal?: AbortSignal;
}

export type DialOptions = SessionOptions & OpenLinkOptions;

/** Connects to `endpoint`, attaches the link to `session` and resolves once the handshake is done. */
export async function openLink(session: Session, transports: TransportRegistry, endpoint: string, options: OpenLinkOptions = {}): Promise<void> {
  const { url, transport } = transports.resolve(endpoint);
  const { signal, maxBodySize } = options;
  const link = await transport.connect(url, { signal, maxBodySize });
  if (signal?.aborted) {
    link.close(new ClosedError(`connection to ${endpoint} aborted`));
    throw new ClosedError(`connection to ${endpoint} aborted`);
  }
  session.attach(link);
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => link.close(new ClosedError(`connection to ${endpoint} aborted`));
    signal?.addEventListener('abort', onAbort, { once: true });
    const stops: Array<() => void> = [];
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      for (const stop of stops) stop();
    };
    stops.push(
      session.onOpen(() => {
        done();
        resolve();
      }),
      session.onDetached((reason) => {
        done();
        reject(reason);
      }),
    );
  });
}

/** A new initiator session with a link to `endpoint`, once its handshake is done; closed if it fails. */
export async function dial(transports: TransportRegistry, endpoint: string, options: DialOptions = {}): Promise<Session> {
  const session = new Session('initiator', options);
  try {
    await openLink(session, transports, endpoint, options);
  } catch (err) {
    session.close();
    throw err;
  }
  return session;
}

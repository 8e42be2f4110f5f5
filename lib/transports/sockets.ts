/**
 * What the socket transports (tcp.ts, tls.ts) share: waiting for a socket to connect, with an abort signal, and
 * serving a listening server's sockets as links, closed with the listener.
 */
import type net from 'node:net';
import { ClosedError, TransportError } from '../protocol/errors.js';
import type { Link, Listener } from './transport.js';

/** Resolves with `socket` once it emits `ready` (`connect`, or `secureConnect` for TLS); destroys it on failure. */
export function whenConnected<S extends net.Socket>(socket: S, ready: 'connect' | 'secureConnect', url: URL, signal?: AbortSignal): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    const cleanup = (): void => {
      socket.off(ready, onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(new TransportError(`cannot connect to ${url.href}: ${err.message}`));
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(new ClosedError(`connect to ${url.href} aborted`));
    };
    socket.once(ready, onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Listens with `server` on `host:port` and hands each socket, made a link by `toLink`, to `onLink`. The listener's
 * `close()` stops accepting and closes every link it accepted.
 */
export function serveSockets<S extends net.Socket>(
  server: net.Server,
  scheme: string,
  url: URL,
  where: { host: string; port: number },
  connectionEvent: 'connection' | 'secureConnection',
  toLink: (socket: S, remote: string) => Link,
  onLink: (link: Link) => void,
): Promise<Listener> {
  const links = new Set<Link>();
  server.on(connectionEvent, (socket: S) => {
    const link = toLink(socket, `${scheme}://${formatHost(socket.remoteAddress ?? 'unknown')}:${socket.remotePort ?? 0}`);
    links.add(link);
    socket.once('close', () => links.delete(link));
    onLink(link);
  });
  return new Promise<Listener>((resolve, reject) => {
    server.once('error', (err) => reject(new TransportError(`cannot listen on ${url.href}: ${err.message}`)));
    server.listen({ host: where.host, port: where.port }, () => {
      const address = server.address() as net.AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        url: `${scheme}://${formatHost(address.address)}:${address.port}`,
        close: () => {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const link of links) link.close();
          });
          return closing;
        },
      });
    });
  });
}

/** An IPv6 address in brackets, as a URL wants it. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * `tls://host:port` over node:tls: the TCP link (tcp.ts) on a TLS socket, with the same framing, write
 * coalescing and backpressure. A listener needs a certificate and key; `requestCert` (with `ca`) asks clients for
 * certificates of their own and refuses those the CA did not sign (mutual TLS). The peer's certificate is on the
 * link (`peerCertificate`), so an authenticator can read who the peer is. Certificates are verified by default.
 */
import type { TLSSocket } from 'node:tls';
import tls from 'node:tls';
import { ClosedError, TransportError } from '../protocol/errors.js';
import { TcpLink } from './tcp.js';
import type { ConnectOptions, Link, LinkOptions, Listener, ListenOptions, PeerCertificate, Transport } from './transport.js';
import { hostAndPort } from './url.js';

export interface TlsTransportOptions {
  /** This side's certificate chain and key (PEM): required to listen, and for a client certificate. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The CAs to trust (PEM) instead of the system's: the peer's certificate must chain to one of them. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** A listener asks each client for a certificate and refuses one the CA did not sign (default false). */
  requestCert?: boolean;
  /** Verify the peer's certificate (default true; turn off only for tests). */
  rejectUnauthorized?: boolean;
  /** Oldest protocol version accepted (default TLSv1.2, which libqi's `tcps://` speaks). */
  minVersion?: tls.SecureVersion;
}

class TlsLink extends TcpLink {
  readonly peerCertificate: PeerCertificate | undefined;

  constructor(socket: TLSSocket, remote: string, options: LinkOptions) {
    super(socket, remote, options);
    const certificate = socket.getPeerCertificate();
    this.peerCertificate =
      certificate && Object.keys(certificate).length > 0
        ? { subject: [certificate.subject?.CN ?? ''].flat()[0] ?? '', fingerprint256: certificate.fingerprint256, verified: socket.authorized }
        : undefined;
  }
}

export class TlsTransport implements Transport {
  readonly scheme = 'tls';

  constructor(private readonly options: TlsTransportOptions = {}) {}

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    const { host, port } = hostAndPort(url);
    const { signal } = options;
    if (signal?.aborted) throw new ClosedError(`connect to ${url.href} aborted`);
    return new Promise<Link>((resolve, reject) => {
      const socket = tls.connect({
        host,
        port,
        // SNI takes names only; an address is checked against the certificate's IP entries.
        ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
        ...this.secureContext(),
        rejectUnauthorized: this.options.rejectUnauthorized ?? true,
      });
      const cleanup = (): void => {
        socket.off('secureConnect', onConnect);
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      const onConnect = (): void => {
        cleanup();
        resolve(new TlsLink(socket, `tls://${url.host}`, options));
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
      socket.once('secureConnect', onConnect);
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async listen(url: URL, onLink: (link: Link) => void, options: ListenOptions = {}): Promise<Listener> {
    const { host, port } = hostAndPort(url, { allowZeroPort: true });
    if (!this.options.cert || !this.options.key) throw new TransportError(`cannot listen on ${url.href}: a TLS listener needs cert and key`);
    const links = new Set<Link>();
    const server = tls.createServer(
      {
        ...this.secureContext(),
        requestCert: this.options.requestCert ?? false,
        rejectUnauthorized: this.options.rejectUnauthorized ?? true,
      },
      (socket) => {
        const address = socket.remoteAddress ?? 'unknown';
        const link = new TlsLink(socket, `tls://${address.includes(':') ? `[${address}]` : address}:${socket.remotePort ?? 0}`, options);
        links.add(link);
        socket.once('close', () => links.delete(link));
        onLink(link);
      },
    );
    // A failed TLS handshake (a client without an acceptable certificate) costs that socket only.
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    return new Promise<Listener>((resolve, reject) => {
      server.once('error', (err) => reject(new TransportError(`cannot listen on ${url.href}: ${err.message}`)));
      server.listen({ host, port }, () => {
        const address = server.address() as { address: string; port: number };
        let closing: Promise<void> | undefined;
        resolve({
          url: `tls://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
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

  private secureContext(): tls.SecureContextOptions {
    const { cert, key, ca, minVersion = 'TLSv1.2' } = this.options;
    return { minVersion, ...(cert && { cert }), ...(key && { key }), ...(ca && { ca }) };
  }
}

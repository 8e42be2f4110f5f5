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
import { serveSockets, whenConnected } from './sockets.js';
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
    if (options.signal?.aborted) throw new ClosedError(`connect to ${url.href} aborted`);
    const connecting = tls.connect({
      host,
      port,
      // SNI takes names only; an address is checked against the certificate's IP entries.
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
      ...this.secureContext(),
      rejectUnauthorized: this.options.rejectUnauthorized ?? true,
    });
    const socket = await whenConnected(connecting, 'secureConnect', url, options.signal);
    return new TlsLink(socket, `tls://${url.host}`, options);
  }

  async listen(url: URL, onLink: (link: Link) => void, options: ListenOptions = {}): Promise<Listener> {
    const where = hostAndPort(url, { allowZeroPort: true });
    if (!this.options.cert || !this.options.key) throw new TransportError(`cannot listen on ${url.href}: a TLS listener needs cert and key`);
    const server = tls.createServer({
      ...this.secureContext(),
      requestCert: this.options.requestCert ?? false,
      rejectUnauthorized: this.options.rejectUnauthorized ?? true,
    });
    // A failed TLS handshake (a client without an acceptable certificate) costs that socket only.
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    return serveSockets<TLSSocket>(server, 'tls', url, where, 'secureConnection', (socket, remote) => new TlsLink(socket, remote, options), onLink);
  }

  private secureContext(): tls.SecureContextOptions {
    const { cert, key, ca, minVersion = 'TLSv1.2' } = this.options;
    return { minVersion, ...(cert && { cert }), ...(key && { key }), ...(ca && { ca }) };
  }
}

/**
 * `tls://`: a service over TLS verified against its CA; mutual TLS, where a client without a certificate the CA
 * signed is refused and the authenticator reads the certificate of one it signed; a certificate the client does
 * not trust is refused by the client.
 */
import { expect } from 'chai';
import {
  connect,
  createService,
  defaultTransports,
  QiError,
  TlsTransport,
  TransportError,
  withContext,
  type CallContext,
} from '../../lib/index.js';
import { rejection } from '../helpers.js';
import { tlsFiles } from '../tls-certs.js';

const whoami = { whoami: withContext((context: CallContext) => context.identity?.user ?? 'nobody') };

describe('TLS transport', function () {
  this.timeout(10_000);
  const files = tlsFiles();

  it('serves a service over tls:// and connects with its CA', async () => {
    const server = defaultTransports().register(new TlsTransport({ cert: files.serverCert, key: files.serverKey }));
    const service = await createService('who', whoami, { transports: server, listen: ['tls://127.0.0.1:0'] });
    try {
      const client = defaultTransports().register(new TlsTransport({ ca: files.ca }));
      const connection = await connect(service.endpoints[0]!, { transports: client });
      expect(await (await connection.service<typeof whoami>('who')).whoami()).to.equal('nobody');
      await connection.close();
      // Without the CA, the server's certificate is not trusted.
      await rejection(connect(service.endpoints[0]!, { reconnect: false }), TransportError);
    } finally {
      await service.close();
    }
  });

  it('asks for client certificates with requestCert: refuses a stranger, lets in one the CA signed', async () => {
    const server = defaultTransports().register(new TlsTransport({ cert: files.serverCert, key: files.serverKey, ca: files.ca, requestCert: true }));
    const service = await createService('who', whoami, {
      transports: server,
      listen: ['tls://127.0.0.1:0'],
      authenticate: (_credentials, peer) =>
        peer.certificate?.verified ? { identity: { user: peer.certificate.subject } } : { refused: 'no client certificate' },
    });
    try {
      const url = service.endpoints[0]!;
      const signed = defaultTransports().register(new TlsTransport({ ca: files.ca, cert: files.clientCert, key: files.clientKey }));
      const connection = await connect(url, { transports: signed });
      expect(await (await connection.service<typeof whoami>('who')).whoami(), 'the identity from the certificate').to.equal('app');
      await connection.close();
      const stranger = defaultTransports().register(new TlsTransport({ ca: files.ca, cert: files.strangerCert, key: files.strangerKey }));
      await rejection(connect(url, { transports: stranger, reconnect: false, timeout: 3_000 }), QiError);
      const none = defaultTransports().register(new TlsTransport({ ca: files.ca }));
      await rejection(connect(url, { transports: none, reconnect: false, timeout: 3_000 }), QiError);
    } finally {
      await service.close();
    }
  });
});

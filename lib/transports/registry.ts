/**
 * Transports by URL scheme. Every factory of the public API takes a registry (`transports` option) so a program
 * can add its own transport or a test can swap in the fake one. The default registry depends on the platform:
 * see defaults.ts (Node) and lib/browser.ts.
 */
import { TransportError } from '../protocol/errors.js';
import type { Transport } from './transport.js';

export class TransportRegistry {
  private readonly byScheme = new Map<string, Transport>();

  constructor(transports: Iterable<Transport> = []) {
    for (const transport of transports) this.register(transport);
  }

  /** Adds a transport, replacing any with the same scheme. */
  register(transport: Transport): this {
    this.byScheme.set(transport.scheme, transport);
    return this;
  }

  toJSON(): object {
    return { schemes: this.schemes };
  }

  get schemes(): string[] {
    return [...this.byScheme.keys()];
  }

  /** Parses an endpoint URL and finds its transport, or fails with a TransportError that names the URL. */
  resolve(endpoint: string | URL): { url: URL; transport: Transport } {
    let url: URL;
    try {
      url = typeof endpoint === 'string' ? new URL(endpoint) : endpoint;
    } catch {
      throw new TransportError(`invalid endpoint URL '${String(endpoint)}'`);
    }
    const scheme = url.protocol.replace(/:$/, '');
    const transport = this.byScheme.get(scheme);
    if (!transport) {
      throw new TransportError(
        `no transport for scheme '${scheme}' in '${url.href}' (known: ${this.schemes.join(', ') || 'none'})`,
      );
    }
    return { url, transport };
  }
}

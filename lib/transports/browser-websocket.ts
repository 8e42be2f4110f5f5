/**
 * `ws://` and `wss://` from a browser, through its own WebSocket. Connect only: a page cannot listen. Imports
 * nothing of Node's, so it bundles for the browser as it is.
 */
import { TransportError } from '../protocol/errors.js';
import type { ConnectOptions, Link, Listener, Transport } from './transport.js';
import { openWebSocketLink, type WebSocketLike } from './websocket-link.js';

type WebSocketConstructor = new (url: string) => WebSocketLike;

export class BrowserWebSocketTransport implements Transport {
  constructor(
    readonly scheme: 'ws' | 'wss' = 'ws',
    private readonly WebSocketImpl: WebSocketConstructor | undefined = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
  ) {}

  async connect(url: URL, options: ConnectOptions = {}): Promise<Link> {
    if (!this.WebSocketImpl) throw new TransportError(`no WebSocket in this environment to reach ${url.href}`);
    return openWebSocketLink(new this.WebSocketImpl(url.href), url, this.scheme, options);
  }

  async listen(url: URL): Promise<Listener> {
    throw new TransportError(`a browser cannot listen: ${url.href}`);
  }
}

/**
 * The names in-process transports listen on (`memory://name`, the fake transport's `fake://name`): one listener
 * per name, and the links each has accepted, so that closing a listener closes them.
 */
import { nanoid } from 'nanoid';
import { TransportError } from '../protocol/errors.js';
import type { Link, Listener, ListenOptions } from './transport.js';

export interface InProcessEndpoint<TLink extends Link> {
  name: string;
  options: ListenOptions;
  /** Hands an accepted link to the listener; returns the function that forgets it once it closes. */
  accept(link: TLink): () => void;
}

export class InProcessEndpoints<TLink extends Link> {
  private readonly byName = new Map<string, { onLink: (link: Link) => void; options: ListenOptions; links: Set<TLink> }>();

  constructor(private readonly scheme: string) {}

  listen(url: URL, onLink: (link: Link) => void, options: ListenOptions = {}): Listener {
    const name = endpointName(url) || nanoid(10);
    if (this.byName.has(name)) throw new TransportError(`${this.scheme}://${name} is already listened on`);
    const entry = { onLink, options, links: new Set<TLink>() };
    this.byName.set(name, entry);
    let closed = false;
    return {
      url: `${this.scheme}://${name}`,
      close: async () => {
        if (closed) return;
        closed = true;
        this.byName.delete(name);
        for (const link of [...entry.links]) link.close();
      },
    };
  }

  /** The listener `url` names, or a TransportError naming the URL. */
  find(url: URL): InProcessEndpoint<TLink> {
    const name = endpointName(url);
    const entry = this.byName.get(name);
    if (!entry) throw new TransportError(`nothing listens at ${this.scheme}://${name}`);
    return {
      name,
      options: entry.options,
      accept: (link) => {
        entry.links.add(link);
        entry.onLink(link);
        return () => entry.links.delete(link);
      },
    };
  }
}

/** `memory://name` parses with `name` as the host; `memory:name` as the path. Either is accepted. */
function endpointName(url: URL): string {
  return url.host || url.pathname.replace(/^\/+/, '');
}

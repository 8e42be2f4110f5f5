/**
 * The registry's shape, shared by the ServiceDirectory actor (which owns it, in its context) and the directory's
 * methods (which read it and ask the actor for changes). Defined here, below the actors, so that the methods
 * need not import the actor.
 */
import type { ServiceRecord } from './directory-client.js';

/** A registry entry: the record peers see, and the link that registered it (it goes when that link does). */
export interface RegisteredService extends ServiceRecord {
  linkId: string;
}

/** What a service asks to be registered as; the directory actor gives it its id. */
export interface Registration {
  name: string;
  endpoints: string[];
  linkId: string;
}

export type RegistryEvent =
  | { type: 'SERVICE.REGISTER'; registration: Registration }
  | { type: 'SERVICE.UNREGISTER'; id: number }
  | { type: 'LINK.CLOSED'; linkId: string };

/** What the directory's methods need of the ServiceDirectory actor. */
export interface RegistryActor {
  getSnapshot(): { context: { services: Record<string, RegisteredService> } };
  send(event: RegistryEvent): void;
}

/**
 * The data plane of a Service (and of the ServiceDirectory, which is a service): the listeners, the links they
 * accepted, and the answer to `bind(name)` on each link: a new channel served by the object.
 */
import type { Identity } from '../auth/authenticator.js';
import type { BindReply } from '../protocol/control.js';
import { ServiceNotFoundError } from '../protocol/errors.js';
import type { TransportRegistry } from '../transports/registry.js';
import { LinkHost, type HostEvents, type HostOptions } from '../session/link-host.js';
import type { Session } from '../session/session.js';
import { ServedObject } from './served-object.js';
import { ServiceBinding } from './service-binding.js';
import type { MemberTable } from './meta-object.js';

export class ServiceHost {
  readonly links: LinkHost;
  readonly object: ServedObject;

  constructor(
    readonly name: string,
    members: MemberTable,
    transports: TransportRegistry,
    options: HostOptions = {},
    events: HostEvents = {},
  ) {
    this.object = new ServedObject(members);
    this.links = new LinkHost(transports, (requested, session, caller) => this.bind(requested, session, caller), options, events);
  }

  /** The accepting side's answer to `bind`; an unbind is answered by the session (the binding is told it closed). */
  async bind(name: string, session: Session, caller: Identity | undefined): Promise<BindReply> {
    if (name !== this.name) throw new ServiceNotFoundError(`this endpoint serves '${this.name}', not '${name}'`);
    const binding = new ServiceBinding(this.object, session, caller);
    return { channel: binding.channel, metaObject: this.object.metaObject };
  }

  close(): Promise<void> {
    this.object.detach();
    return this.links.close(`service '${this.name}' closed`);
  }

  toJSON(): object {
    return { name: this.name, ...this.links.toJSON(), ...this.object.stats };
  }
}

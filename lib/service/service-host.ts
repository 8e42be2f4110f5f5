/**
 * The data plane of a Service (and of the ServiceDirectory, which is a service): the listeners, the links they
 * accepted, and the answer to `bind(name)` on each link: a new channel served by the dispatcher.
 */
import type { BindReply } from '../protocol/control.js';
import { ClosedError, ServiceNotFoundError } from '../protocol/errors.js';
import type { TransportRegistry } from '../transports/registry.js';
import { LinkHost, type HostEvents, type HostOptions } from '../session/link-host.js';
import type { ControlHandler, LinkSession } from '../session/link-session.js';
import { ServiceDispatcher } from './dispatcher.js';
import { ServiceBinding } from './service-binding.js';
import type { MemberTable } from './meta-object.js';

export class ServiceHost implements ControlHandler {
  readonly links: LinkHost;
  readonly dispatcher: ServiceDispatcher;

  constructor(
    readonly name: string,
    members: MemberTable,
    transports: TransportRegistry,
    options: HostOptions = {},
    events: HostEvents = {},
  ) {
    this.dispatcher = new ServiceDispatcher(members);
    this.links = new LinkHost(transports, this, options, events);
  }

  async bind(name: string, session: LinkSession): Promise<BindReply> {
    if (name !== this.name) throw new ServiceNotFoundError(`this endpoint serves '${this.name}', not '${name}'`);
    const binding = this.dispatcher.bind(session);
    binding.channel = session.openChannel(binding);
    return { channel: binding.channel, metaObject: this.dispatcher.metaObject };
  }

  unbind(channel: number, session: LinkSession): void {
    const endpoint = session.channelEndpoint(channel);
    session.detachChannel(channel);
    if (endpoint instanceof ServiceBinding) endpoint.onClosed(new ClosedError('unbound'));
  }

  close(): Promise<void> {
    this.dispatcher.detach();
    return this.links.close();
  }

  toJSON(): object {
    return { name: this.name, ...this.links.toJSON(), ...this.dispatcher.stats };
  }
}

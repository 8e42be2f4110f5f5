/**
 * The Gateway's data plane and its answer to `bind`: accepted client links (LinkHost), the directory link, one
 * reusable link per service endpoint, and the Forwarder actors of live bindings.
 *
 * Forwarders are created with the gateway actor as `parent` and kept in this runtime's own Set, not in the
 * gateway's children map: XState copies a parent's children map on every spawn, which would make the n-th
 * binding cost O(n) (DESIGN §4). They still join the gateway's actor system, so the inspector sees them.
 */
import { waitFor, type AnyActorRef } from 'xstate';
import { forwarderMachine, type ForwarderGateway } from '../../actors/forwarder.js';
import { handOver, startActor } from '../actor-runtime.js';
import type { Logger } from '../diagnostics.js';
import { DirectoryClient } from '../directory/directory-client.js';
import { ControlAction, type BindReply } from '../protocol/control.js';
import { ConnectionLostError, qiError, ServiceGoneError, TransportError, isErrorCode, type QiError } from '../protocol/errors.js';
import { dial, type DialOptions } from '../session/dial.js';
import { LinkHost, type HostOptions } from '../session/link-host.js';
import type { ControlHandler, LinkSession } from '../session/link-session.js';
import type { TransportRegistry } from '../transports/registry.js';
import { DownstreamEnd } from './forwarding-route.js';
import { SignalFanout } from './signal-fanout.js';

type ForwarderActor = ReturnType<typeof startActor<typeof forwarderMachine>>;

export class GatewayRuntime implements ControlHandler, ForwarderGateway {
  readonly links: LinkHost;
  readonly forwarders = new Set<ForwarderActor>();
  private directoryClient: DirectoryClient | undefined;
  private readonly serviceSessions = new Map<string, Promise<LinkSession>>();
  private readonly fanouts = new WeakMap<LinkSession, Map<string, SignalFanout>>();
  private owner: AnyActorRef | undefined;
  private bindCount = 0;

  constructor(
    private readonly transports: TransportRegistry,
    readonly directoryUrl: string,
    hostOptions: HostOptions,
    private readonly dialOptions: DialOptions,
    private readonly logger?: Logger,
  ) {
    this.links = new LinkHost(transports, this, hostOptions);
  }

  /** The gateway actor, parent of every forwarder. */
  attach(owner: AnyActorRef): void {
    this.owner = owner;
  }

  directory(): DirectoryClient {
    if (!this.directoryClient) throw new ConnectionLostError('the gateway has no directory link');
    return this.directoryClient;
  }

  async connectDirectory(signal: AbortSignal): Promise<DirectoryClient> {
    const client = handOver(
      signal,
      await DirectoryClient.connect(this.transports, this.directoryUrl, { ...this.dialOptions, signal }),
      (abandoned) => abandoned.close(),
    );
    this.directoryClient = client;
    // The directory is a service too: binds to it reuse this link.
    this.remember(this.directoryUrl, Promise.resolve(client.session));
    return client;
  }

  /** A link to the service at one of `endpoints`: an open one if there is, else the first that dials. */
  async serviceSession(endpoints: readonly string[]): Promise<LinkSession> {
    let lastError: unknown = new TransportError('the service registered no endpoint');
    for (const endpoint of endpoints) {
      if (!this.canDial(endpoint)) continue;
      const existing = this.serviceSessions.get(endpoint);
      try {
        if (existing) return await existing;
        return await this.remember(endpoint, dial(this.transports, endpoint, this.dialOptions));
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** The signal fan-out of service `name` on `service`, shared by all its routes on that link. */
  fanout(service: LinkSession, name: string): SignalFanout {
    let byName = this.fanouts.get(service);
    if (!byName) this.fanouts.set(service, (byName = new Map()));
    let fanout = byName.get(name);
    if (!fanout) byName.set(name, (fanout = new SignalFanout(service, name)));
    return fanout;
  }

  async bind(name: string, client: LinkSession): Promise<BindReply> {
    const forwarder = startActor(forwarderMachine, {
      input: { name, client, gateway: this },
      parent: this.owner,
      systemId: `forwarder:${client.id}:${name}:${++this.bindCount}`,
      logger: this.logger,
      onEnd: (ended, failed, error) => {
        this.forwarders.delete(ended);
        if (failed) this.abandon(ended, error);
      },
    });
    // One that failed while starting has already been told its end.
    if (forwarder.getSnapshot().status === 'active') this.forwarders.add(forwarder);
    const snapshot = await waitFor(forwarder, (s) => s.matches('active') || s.status !== 'active');
    const { route, metaObject, error } = snapshot.context;
    if (snapshot.matches('active') && route && metaObject) return { channel: route.down, metaObject };
    throw toError(error);
  }

  unbind(channel: number, client: LinkSession): void {
    const endpoint = client.channelEndpoint(channel);
    if (endpoint instanceof DownstreamEnd) endpoint.route.ended({ type: 'CLIENT.UNBOUND' });
  }

  async close(): Promise<void> {
    // Forwarders have the gateway as parent, so they are ended by event (every state goes to `closed` on STOP).
    for (const forwarder of this.forwarders) forwarder.send({ type: 'STOP' });
    this.forwarders.clear();
    await this.links.close();
    const sessions = await Promise.allSettled(this.serviceSessions.values());
    for (const result of sessions) if (result.status === 'fulfilled') result.value.close();
    this.serviceSessions.clear();
    this.directoryClient?.close();
  }

  toJSON(): object {
    return { ...this.links.toJSON(), bindings: this.forwarders.size, serviceLinks: this.serviceSessions.size };
  }

  /** A forwarder died of a bug: remove its route and tell its client, so nothing is left half-wired. */
  private abandon(forwarder: ForwarderActor, err: unknown): void {
    const { route, client, name } = forwarder.getSnapshot().context;
    if (!route?.isInstalled) return;
    route.remove();
    const message = `binding to '${name}' failed in the gateway: ${err instanceof Error ? err.message : String(err)}`;
    if (!client.isClosed) client.notifyChannelClosed(route.down, new ServiceGoneError(message));
    if (!route.service.isClosed) route.service.controlCall(ControlAction.unbind, { channel: route.up }).catch(() => undefined);
  }

  private canDial(endpoint: string): boolean {
    try {
      this.transports.resolve(endpoint);
      return true;
    } catch {
      return false;
    }
  }

  /** Caches a service link by endpoint until it closes (or fails to open). */
  private remember(endpoint: string, session: Promise<LinkSession>): Promise<LinkSession> {
    this.serviceSessions.set(endpoint, session);
    session.then(
      (s) => s.onClosed(() => this.serviceSessions.get(endpoint) === session && this.serviceSessions.delete(endpoint)),
      () => this.serviceSessions.get(endpoint) === session && this.serviceSessions.delete(endpoint),
    );
    return session;
  }
}

function toError(error: { code: string; message: string } | null): QiError {
  if (!error) return new ConnectionLostError('binding ended before it was made');
  return isErrorCode(error.code) ? qiError(error.code, error.message) : new ConnectionLostError(error.message);
}

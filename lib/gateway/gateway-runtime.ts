/**
 * The Gateway's data plane and the resources its bindings share: accepted client links (LinkHost), the directory
 * link, one reusable link per service endpoint, and the signal fan-outs. A bind is answered by the BindHandler it
 * is given (the actors layer's ForwarderPool, which starts one Forwarder per binding); this runtime is what each
 * forwarder uses (`ForwarderGateway`).
 */
import { handOver } from '../actor-runtime.js';
import { DirectoryClient } from '../directory/directory-client.js';
import { DirectoryUnavailableError, ServiceNotFoundError, TransportError, type QiError } from '../protocol/errors.js';
import { dial, type DialOptions } from '../session/open-link.js';
import { LinkHost, type HostOptions } from '../session/link-host.js';
import type { BindHandler, Session } from '../session/session.js';
import type { TransportRegistry } from '../transports/registry.js';
import type { TraceSwitch } from './call-tracer.js';
import { GatewayMonitor } from './gateway-monitor.js';
import type { LibqiBridge } from './libqi-bridge.js';
import { SignalFanout } from './signal-fanout.js';

/** What a forwarder needs of its gateway. */
export interface ForwarderGateway {
  directory(): DirectoryClient;
  serviceSession(endpoints: readonly string[]): Promise<Session>;
  fanout(service: Session, name: string): SignalFanout;
  /** Where routes find the tracer, null unless someone traces. */
  readonly monitor: TraceSwitch;
}

export class GatewayRuntime implements ForwarderGateway {
  readonly links: LinkHost;
  /** The built-in GatewayMonitor service, bound on clients' links by name. */
  readonly monitor = new GatewayMonitor();
  private directoryClient: DirectoryClient | undefined;
  private readonly serviceSessions = new Map<string, Promise<Session>>();
  private readonly fanouts = new WeakMap<Session, Map<string, SignalFanout>>();

  constructor(
    private readonly transports: TransportRegistry,
    /** The qimessaging ServiceDirectory; undefined for a gateway whose only directory is a libqi one. */
    readonly directoryUrl: string | undefined,
    hostOptions: HostOptions,
    private readonly dialOptions: DialOptions,
    bind: BindHandler<Session>,
    /** The libqi side of a bridging gateway (its `libqiDirectory` option), closed with the gateway. */
    readonly libqi?: LibqiBridge,
  ) {
    this.links = new LinkHost(transports, bind, hostOptions);
  }

  directory(): DirectoryClient {
    const client = this.directoryClient;
    if (this.directoryUrl === undefined) throw new ServiceNotFoundError('this gateway has no qimessaging directory (only a libqi one)');
    if (!client || client.session.isClosed) throw new DirectoryUnavailableError(`the gateway cannot reach its directory at ${this.directoryUrl}`);
    return client;
  }

  /** Opens the directory links: the libqi one first (once: it reopens on demand), then the qimessaging one. */
  async connectDirectory(signal: AbortSignal): Promise<DirectoryClient | undefined> {
    await this.libqi?.connect();
    const url = this.directoryUrl;
    if (url === undefined) return undefined;
    const client = handOver(
      signal,
      await DirectoryClient.connect(this.transports, url, { ...this.dialOptions, signal }),
      (abandoned) => abandoned.close(),
    );
    this.directoryClient = client;
    // The directory is a service too: binds to it reuse this link.
    this.remember(url, Promise.resolve(client.session));
    return client;
  }

  /** Calls `listener` once the qimessaging directory's link closes (never for a libqi-only gateway). */
  onDirectoryLost(listener: (reason: QiError) => void): () => void {
    if (this.directoryUrl === undefined) return () => undefined;
    return this.directory().session.onClosed(listener);
  }

  /** A link to the service at one of `endpoints`: an open one if there is, else the first that dials. */
  async serviceSession(endpoints: readonly string[]): Promise<Session> {
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
  fanout(service: Session, name: string): SignalFanout {
    let byName = this.fanouts.get(service);
    if (!byName) this.fanouts.set(service, (byName = new Map()));
    let fanout = byName.get(name);
    if (!fanout) byName.set(name, (fanout = new SignalFanout(service, name)));
    return fanout;
  }

  /** Closes every link: client links first (their bindings end), then service links and the directory's. */
  async close(): Promise<void> {
    this.monitor.close();
    await this.links.close('gateway closed');
    const sessions = await Promise.allSettled(this.serviceSessions.values());
    for (const result of sessions) if (result.status === 'fulfilled') result.value.close();
    this.serviceSessions.clear();
    this.directoryClient?.close();
    await this.libqi?.close();
  }

  toJSON(): object {
    return { ...this.links.toJSON(), serviceLinks: this.serviceSessions.size, ...this.libqi?.toJSON() };
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
  private remember(endpoint: string, session: Promise<Session>): Promise<Session> {
    this.serviceSessions.set(endpoint, session);
    session.then(
      (s) => s.onClosed(() => this.serviceSessions.get(endpoint) === session && this.serviceSessions.delete(endpoint)),
      () => this.serviceSessions.get(endpoint) === session && this.serviceSessions.delete(endpoint),
    );
    return session;
  }
}

/**
 * A qimessaging ServiceDirectory that libqi speaks to, so that qimessaging can be the robot side: libqi services
 * (and qimessaging ones made with `createLibqiService`) register with it, libqi clients list and find them, then
 * call each service directly at the endpoints it registered.
 *
 * ```ts
 * const sd = await createLibqiServiceDirectory({ listen: 'tcp://127.0.0.1:9559' });
 * // qi_echo_service tcp://127.0.0.1:9559 … registers; qi_client demo tcp://127.0.0.1:9559 finds it
 * await sd.close();
 * ```
 *
 * It is service 1, object 1, with libqi 4.0.5's members and ids (src/messaging/servicedirectory.cpp): 100
 * `service(s)`, 101 `services()`, 102 `registerService(ServiceInfo)->I`, 103 `unregisterService(I)`, 104
 * `serviceReady(I)`, 105 `updateServiceInfo(ServiceInfo)`, signals 106 `serviceAdded(Is)` / 107
 * `serviceRemoved(Is)`, 108 `machineId()->s`, and libqi's rules: a registration is pending until `serviceReady`
 * (only then listed, and `serviceAdded` emitted), ids are never reused, a name is registered once, and the
 * services a link registered are unregistered when it closes. Not provided: 109 `_socketOfService` (for `qi:Name`
 * relative endpoints, which this directory neither adds nor needs: RelativeEndpointURI is announced false).
 */
import { randomUUID } from 'node:crypto';
import { LibqiAddress } from '../protocol/libqi/index.js';
import { signal } from '../service/members.js';
import type { TlsTransportOptions } from '../transports/tls.js';
import type { Listener } from '../transports/transport.js';
import type { LibqiServiceInfo } from './libqi-connection.js';
import { LibqiLinkAdmission, type LibqiLinkLimits } from './libqi-link-admission.js';
import { listenLibqi, localMachineId } from './libqi-local.js';
import { buildLibqiObjectTable, withCaller, type LibqiCaller } from './libqi-object-table.js';
import { serveLinks, type LibqiServedLink, type LibqiServedLinkHost } from './libqi-served-link.js';
import type { LibqiAuthenticator } from './libqi-server-auth.js';
import { LibqiServedObject } from './libqi-served-object.js';
import { withSignature } from './libqi-signatures.js';

export interface LibqiServiceDirectoryOptions extends LibqiLinkLimits {
  /** Where libqi peers reach it (default `tcp://127.0.0.1:9559`, libqi's port); several for several addresses. */
  listen?: string | string[];
  /** TLS for a `tcps://` listener (`cert` and `key`). */
  tls?: TlsTransportOptions;
  /** Requires libqi peers (clients and registering services) to authenticate (libqi-server-auth.ts). Default: none asked. */
  authenticate?: LibqiAuthenticator;
  /** Its ServiceInfo's machineId and `machineId()` (default libqi's id for this machine, libqi-local.ts). */
  machineId?: string;
}

const SERVICE_INFO = '(sIsI[s]ss)<ServiceInfo,name,serviceId,machineId,processId,endpoints,sessionId,objectUid>';

/** Starts a libqi ServiceDirectory; resolves once it listens. */
export async function createLibqiServiceDirectory(options: LibqiServiceDirectoryOptions = {}): Promise<LibqiServiceDirectory> {
  const directory = new LibqiServiceDirectory(options.machineId ?? localMachineId(), options.authenticate);
  try {
    await directory.start(options);
  } catch (err) {
    await directory.close();
    throw err;
  }
  return directory;
}

interface Registration {
  info: LibqiServiceInfo;
  ready: boolean;
}

export class LibqiServiceDirectory implements LibqiServedLinkHost {
  readonly serviceId = LibqiAddress.directoryService;
  readonly mainObject: LibqiServedObject;
  /** The endpoints it listens on, in libqi's form (`tcp://127.0.0.1:9559`). */
  endpoints: string[] = [];
  private readonly registrations = new Map<number, Registration>();
  private lastId = 0;
  private readonly listeners: Listener[] = [];
  private readonly links = new Set<LibqiServedLink>();
  private objectIds = LibqiAddress.mainObject;
  private closed = false;
  private readonly members;

  /** @internal Use `createLibqiServiceDirectory`. */
  constructor(
    readonly machineId: string,
    readonly authenticate?: LibqiAuthenticator,
  ) {
    this.members = this.directoryMembers();
    this.mainObject = new LibqiServedObject(buildLibqiObjectTable(this.members), LibqiAddress.mainObject);
  }

  /** The first endpoint, for `connectLibqi(sd.url)`. */
  get url(): string {
    return this.endpoints[0]!;
  }

  /** The services ready, the directory first: what `services()` answers. */
  services(): LibqiServiceInfo[] {
    return [...this.registrations.values()].filter((r) => r.ready).map((r) => r.info);
  }

  nextObjectId(): number {
    return ++this.objectIds;
  }

  /** Bounds the links libqi peers hold open to this directory (`maxLinks`, `maxLinksPerAddress`). */
  admission = new LibqiLinkAdmission();

  /** @internal */
  async start(options: LibqiServiceDirectoryOptions): Promise<void> {
    const endpoints = options.listen === undefined ? ['tcp://127.0.0.1:9559'] : typeof options.listen === 'string' ? [options.listen] : options.listen;
    // One set of bounds for all its listeners, as a native host's.
    this.admission = new LibqiLinkAdmission(options);
    for (const endpoint of endpoints) {
      this.listeners.push(await listenLibqi(endpoint, options.tls, serveLinks(this, this.links), this.admission));
    }
    this.endpoints = this.listeners.map((l) => l.url);
    // libqi's directory registers itself first, so it is service 1 and listed like any other.
    const id = this.register({
      name: 'ServiceDirectory',
      serviceId: 0,
      machineId: this.machineId,
      processId: process.pid,
      endpoints: this.endpoints,
      sessionId: randomUUID(),
      objectUid: this.mainObject.ptrUid,
    });
    this.ready(id);
  }

  /** Stops listening and closes every link (services on them are dropped). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.listeners) await listener.close();
    for (const served of this.links) served.link.close();
    this.mainObject.close();
  }

  private directoryMembers() {
    return {
      service: withSignature(`(s)->${SERVICE_INFO}`, (name: string) => this.find(name)),
      services: withSignature(`()->[${SERVICE_INFO}]`, () => this.services()),
      registerService: withSignature(`(${SERVICE_INFO})->I`, withCaller((caller: LibqiCaller, info: LibqiServiceInfo) => this.register(info, caller))),
      unregisterService: withSignature('(I)->v', (id: number) => this.unregister(id)),
      serviceReady: withSignature('(I)->v', (id: number) => this.ready(id)),
      updateServiceInfo: withSignature(`(${SERVICE_INFO})->v`, (info: LibqiServiceInfo) => this.update(info)),
      serviceAdded: withSignature('(Is)', signal<[id: number, name: string]>()),
      serviceRemoved: withSignature('(Is)', signal<[id: number, name: string]>()),
      machineId: withSignature('()->s', () => this.machineId),
    };
  }

  private find(name: string): LibqiServiceInfo {
    const found = [...this.registrations.values()].find((r) => r.info.name === name);
    // libqi's texts (servicedirectory.cpp), since libqi clients show them.
    if (!found) throw new Error(`Cannot find service '${name}' in index`);
    if (!found.ready) throw new Error(`Cannot find ServiceInfo for service '${name}'`);
    return found.info;
  }

  private register(info: LibqiServiceInfo, caller?: LibqiCaller): number {
    const taken = [...this.registrations.values()].find((r) => r.info.name === info.name);
    if (taken) throw new Error(`Service "${info.name}" (#${taken.info.serviceId}) is already registered. Rejecting conflicting registration attempt.`);
    const id = ++this.lastId;
    this.registrations.set(id, { info: { ...info, serviceId: id }, ready: false });
    caller?.onClose(() => {
      if (this.registrations.has(id) && !this.closed) this.unregister(id);
    });
    return id;
  }

  private unregister(id: number): void {
    const registration = this.registrations.get(id);
    if (!registration) throw new Error(`Unregister Service: Can't find service #${id}`);
    this.registrations.delete(id);
    this.members.serviceRemoved.emit(id, registration.info.name);
  }

  private ready(id: number): void {
    const registration = this.registrations.get(id);
    if (!registration || registration.ready) throw new Error(`Can't find pending service #${id}`);
    registration.ready = true;
    this.members.serviceAdded.emit(id, registration.info.name);
  }

  private update(info: LibqiServiceInfo): void {
    for (const registration of this.registrations.values()) {
      if (registration.ready && registration.info.sessionId === info.sessionId) registration.info = { ...registration.info, endpoints: info.endpoints };
    }
    const registration = this.registrations.get(info.serviceId);
    if (!registration) throw new Error(`updateServiceInfo: Can't find service #${info.serviceId}`);
    registration.info = info;
  }
}

/**
 * One link a libqi client opened to a served service, as libqi's server side of a MessageSocket: the capability
 * handshake answered, then Calls and Posts dispatched by (service, object, action) to the object's members or
 * built-ins, each Call answered by a Reply (the return value, by the method's return signature) or an Error (a
 * dynamic string); Cancel aborts the call's AbortSignal and is answered at once by Canceled (the call's own
 * answer is then dropped); Events sent for each registerEvent; objects a method returns as `o` served on this
 * link until it closes or the client terminates them.
 */
import type { Identity } from '../auth/authenticator.js';
import { readIdentity } from '../auth/roles.js';
import { CanceledError, ProtocolError, UnauthorizedError } from '../protocol/errors.js';
import { MessageType } from '../protocol/header.js';
import {
  buildLibqiMessage,
  decodeValue,
  encodeToBytes,
  libqiPayload,
  LibqiAddress,
  LibqiObjectRef,
  readLibqiHeader,
  typed,
  type CodecOptions,
  type LibqiHeader,
  type QiType,
} from '../protocol/libqi/index.js';
import type { Link } from '../transports/transport.js';
import { answerBuiltin, isBuiltin, type BuiltinLink } from './libqi-builtins.js';
import { buildLibqiObjectTable, type LibqiCaller, type LibqiSignalMember } from './libqi-object-table.js';
import type { LibqiAuthDecision, LibqiAuthenticator, LibqiAuthStep } from './libqi-server-auth.js';
import { LibqiServedObject } from './libqi-served-object.js';
import { LOCAL_CAPABILITIES } from './libqi-socket.js';

/** What a link needs of the service it serves. */
export interface LibqiServedLinkHost {
  /** The id the directory gave the service; undefined until registered. */
  readonly serviceId: number | undefined;
  /** Ids of earlier registrations (before the directory was lost and registered with again): links opened then use them. */
  readonly formerServiceIds?: ReadonlySet<number>;
  readonly mainObject: LibqiServedObject;
  /** A fresh object id for a returned object (unique in the service, from 2). */
  nextObjectId(): number;
  /** When set, clients must authenticate before anything else (libqi-server-auth.ts). */
  readonly authenticate?: LibqiAuthenticator | undefined;
}

interface InflightCall {
  header: LibqiHeader;
  controller: AbortController | undefined;
  /** Canceled already answered it. */
  answered: boolean;
}

/** Calls one link may have this side answer later, as a native session's `maxPendingCalls` default. */
export const MAX_PENDING_LIBQI_CALLS = 100_000;
const AUTH_STATE_CONTINUE = 2;
const AUTH_STATE_DONE = 3;

/** For `listenLibqi`: serves each admitted link as a LibqiServedLink of `host`, kept in `links` until it closes. */
export function serveLinks(host: LibqiServedLinkHost, links: Set<LibqiServedLink>): (link: Link, release: () => void) => void {
  return (link, release) => {
    const served = new LibqiServedLink(link, host, () => {
      links.delete(served);
      release();
    });
    links.add(served);
  };
}

export class LibqiServedLink implements BuiltinLink, LibqiCaller {
  codec: CodecOptions = { objectPtrUid: true };
  private nextMessageId = 1;
  private nextLinkId = 1n;
  private readonly inflight = new Map<number, InflightCall>();
  /** `${objectId}.${signal}.${clientLink}` → unsubscribe. */
  private readonly subscriptions = new Map<string, () => void>();
  /** Objects returned on this link, by object id, and by the JS object (returned twice, one id). */
  private readonly objects = new Map<number, LibqiServedObject>();
  private readonly objectIds = new WeakMap<object, number>();
  private readonly closeListeners: Array<() => void> = [];
  /** False until the handshake is done, when the host requires authentication. */
  private authenticated: boolean;
  private authStep: LibqiAuthStep | undefined;
  private handshakes = 0;
  /** Who the host's authenticator let in (read as a native peer's identity); undefined without one. */
  identity: Identity | undefined;

  constructor(
    readonly link: Link,
    private readonly host: LibqiServedLinkHost,
    private readonly onClosed: () => void = () => {},
  ) {
    this.authenticated = host.authenticate === undefined;
    link.onFrame((frame) => this.onMessage(frame));
    link.onClose(() => this.closed());
  }

  get remote(): string {
    return this.link.remote;
  }

  onClose(listener: () => void): void {
    if (this.link.closed) listener();
    else this.closeListeners.push(listener);
  }

  registerEvent(object: LibqiServedObject, serviceId: number, signal: number, clientLink: bigint): bigint {
    const key = `${object.objectId}.${signal}.${clientLink}`;
    this.subscriptions.get(key)?.();
    const member = object.table.signals.get(signal);
    if (member) this.subscriptions.set(key, object.on(signal, (args) => this.sendEvent(serviceId, object.objectId, member, args)));
    else this.subscriptions.set(key, () => {});
    return this.nextLinkId++;
  }

  unregisterEvent(object: LibqiServedObject, signal: number, clientLink: bigint): void {
    const key = `${object.objectId}.${signal}.${clientLink}`;
    this.subscriptions.get(key)?.();
    this.subscriptions.delete(key);
  }

  terminate(object: LibqiServedObject): void {
    if (object === this.host.mainObject) return;
    this.objects.delete(object.objectId);
    this.dropSubscriptions(`${object.objectId}.`);
    object.close();
  }

  private onMessage(frame: Uint8Array): void {
    let header: LibqiHeader;
    try {
      header = readLibqiHeader(frame);
    } catch (err) {
      this.link.close(err instanceof ProtocolError ? err : new ProtocolError(String(err)));
      return;
    }
    const payload = libqiPayload(frame);
    const toSocket = header.service === LibqiAddress.socketService && header.object === LibqiAddress.socketObject;
    if (!this.authenticated && !(toSocket && header.type === MessageType.Call)) {
      // As libqi's server with an AuthProvider: anything but authenticate before it is done ends the link.
      return this.link.close(new UnauthorizedError(`a libqi client sent a ${header.type === MessageType.Call ? 'call' : 'message'} before authenticating`));
    }
    switch (header.type) {
      case MessageType.Call:
      case MessageType.Post:
        if (toSocket) {
          // An answer that cannot be encoded (an authenticator's continue fields) ends the handshake and the link.
          this.authenticate(header, payload).catch((err: unknown) => this.link.close(new UnauthorizedError(`libqi authentication failed: ${String(err)}`)));
          return;
        }
        return void this.dispatch(header, payload);
      case MessageType.Cancel:
        return this.cancel(header, payload);
      default:
        // Capability updates change nothing this side uses; Replies, Events and the rest are not a client's to send.
        return;
    }
  }

  /**
   * The capability exchange: the first answer carries this side's capabilities; the `auth_*` fields go to the
   * host's authenticator, if any, whose decision sets `__qi_auth_state` (2 continue, 3 done) or refuses.
   */
  private async authenticate(header: LibqiHeader, payload: Uint8Array): Promise<void> {
    if (header.action !== LibqiAddress.authenticateAction || header.type !== MessageType.Call) return this.sendError(header, `no method ${header.action} on the socket object`);
    let request: Map<string, unknown>;
    try {
      request = decodeValue('{sm}', payload, this.codec) as Map<string, unknown>;
    } catch (err) {
      return this.sendError(header, `bad authenticate: ${(err as Error).message}`);
    }
    const first = this.handshakes++ === 0;
    const reply = new Map<string, unknown>(first ? LOCAL_CAPABILITIES.map(([name, value]) => [name, value]) : []);
    if (first) {
      const shares = (name: string): boolean => LOCAL_CAPABILITIES.some(([n, v]) => n === name && v) && request.get(name) === true;
      this.codec = { objectPtrUid: shares('ObjectPtrUID') };
    }
    if (!this.authenticated) {
      const fields: Record<string, unknown> = { remoteEndpoint: this.link.remote };
      for (const [key, value] of request) if (key.startsWith('auth_')) fields[key.slice(5)] = value;
      this.authStep ??= this.host.authenticate!();
      let decision: LibqiAuthDecision;
      try {
        decision = await this.authStep(fields);
      } catch (err) {
        decision = { state: 'refused', reason: err instanceof Error ? err.message : String(err) };
      }
      if (decision.state === 'refused') {
        this.sendError(header, `Authentication failed: ${decision.reason}`);
        return this.link.close(new UnauthorizedError(`libqi client refused: ${decision.reason}`));
      }
      if (decision.state === 'continue') {
        reply.set('__qi_auth_state', typed('I', AUTH_STATE_CONTINUE));
        for (const [key, value] of Object.entries(decision.fields)) reply.set(`auth_${key}`, value);
        return this.send({ ...header, type: MessageType.Reply }, encodeToBytes('{sm}', reply, this.codec));
      }
      this.authenticated = true;
      // Copied and checked as an identity a peer passes on: the same shape native services see.
      this.identity = decision.identity === undefined ? undefined : readIdentity(decision.identity);
    }
    reply.set('__qi_auth_state', typed('I', AUTH_STATE_DONE));
    this.send({ ...header, type: MessageType.Reply }, encodeToBytes('{sm}', reply, this.codec));
  }

  private async dispatch(header: LibqiHeader, payload: Uint8Array): Promise<void> {
    const answers = header.type === MessageType.Call;
    if (answers && this.inflight.size >= MAX_PENDING_LIBQI_CALLS) return this.sendError(header, `more than ${MAX_PENDING_LIBQI_CALLS} calls in flight on this link`);
    const call: InflightCall = { header, controller: undefined, answered: false };
    if (answers) this.inflight.set(header.id, call);
    try {
      const object = this.objectAt(header.service, header.object);
      if (!object) throw new ProtocolError(`no object ${header.service}.${header.object} here`);
      let value: unknown;
      let returns: QiType;
      if (isBuiltin(header.action)) {
        ({ value, returns } = answerBuiltin(this, object, header.service, header.action, payload));
      } else {
        const method = object.table.methods.get(header.action);
        if (!method) throw new ProtocolError(`no method ${header.action} on object ${header.service}.${header.object}`);
        const decoded = decodeValue(method.signature.params, payload, { ...this.codec, typedDynamics: method.typedDynamics });
        const args = Array.isArray(decoded) ? decoded : Object.values(decoded as object);
        if (method.usesContext) call.controller = new AbortController();
        value = await method.invoke(args, call.controller?.signal, this);
        returns = method.signature.returns;
      }
      if (!answers || call.answered) return;
      const out = returns.kind === 'o' ? this.objectRef(value, header.service) : value;
      this.send({ ...header, type: MessageType.Reply }, encodeToBytes(returns, out, this.codec));
    } catch (err) {
      if (answers && !call.answered) this.sendError(header, err instanceof Error ? err.message : String(err));
    } finally {
      if (answers) this.inflight.delete(header.id);
    }
  }

  /** Cancel (type 7, payload the call's id): the call's signal aborts and Canceled answers it now. */
  private cancel(header: LibqiHeader, payload: Uint8Array): void {
    let id: number;
    try {
      id = decodeValue('I', payload, this.codec) as number;
    } catch {
      return;
    }
    const call = this.inflight.get(id);
    if (!call || call.answered) return;
    call.answered = true;
    this.inflight.delete(id);
    call.controller?.abort(new CanceledError('call canceled by the libqi client'));
    this.send({ ...call.header, type: MessageType.Canceled }, new Uint8Array(0));
  }

  private objectAt(service: number, objectId: number): LibqiServedObject | undefined {
    if (service !== this.host.serviceId && !this.host.formerServiceIds?.has(service)) return undefined;
    if (objectId === LibqiAddress.mainObject) return this.host.mainObject;
    return this.objects.get(objectId);
  }

  /** A method's `o` result: a reference as it is, or a JS object served from now on under a fresh id. */
  private objectRef(value: unknown, serviceId: number): LibqiObjectRef {
    if (value instanceof LibqiObjectRef) return value;
    if (typeof value !== 'object' || value === null) throw new ProtocolError(`a method returning 'o' returned ${value === null ? 'null' : typeof value}`);
    const known = this.objectIds.get(value);
    let served = known === undefined ? undefined : this.objects.get(known);
    if (!served) {
      served = new LibqiServedObject(buildLibqiObjectTable(value), this.host.nextObjectId());
      this.objects.set(served.objectId, served);
      this.objectIds.set(value, served.objectId);
    }
    return new LibqiObjectRef(served.table.metaObject, serviceId, served.objectId, served.ptrUid);
  }

  private sendEvent(serviceId: number, objectId: number, member: LibqiSignalMember, args: unknown[]): void {
    const tuple = member.dynamic ? [args.length === 1 ? args[0] : args] : args;
    const payload = encodeToBytes(member.type, tuple, this.codec);
    this.send({ id: this.allocateId(), type: MessageType.Event, flags: 0, service: serviceId, object: objectId, action: member.uid }, payload);
  }

  private sendError(header: LibqiHeader, message: string): void {
    this.send({ ...header, type: MessageType.Error }, encodeToBytes('m', typed('s', message), this.codec));
  }

  private send(header: LibqiHeader, payload: Uint8Array): void {
    this.link.send(buildLibqiMessage({ ...header, flags: 0 }, payload));
  }

  /** Event ids come from this side's own counter, as libqi's do. */
  private allocateId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = id === 0xffffffff ? 1 : id + 1;
    return id;
  }

  private dropSubscriptions(prefix: string): void {
    for (const [key, off] of this.subscriptions) {
      if (!key.startsWith(prefix)) continue;
      off();
      this.subscriptions.delete(key);
    }
  }

  private closed(): void {
    for (const call of this.inflight.values()) call.controller?.abort(new CanceledError('the libqi client went away'));
    this.inflight.clear();
    this.dropSubscriptions('');
    for (const object of this.objects.values()) object.close();
    this.objects.clear();
    for (const listener of this.closeListeners.splice(0)) listener();
    this.onClosed();
  }
}

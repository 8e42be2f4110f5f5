/**
 * One link to a libqi peer (a ServiceDirectory or a service's own endpoint), as libqi's MessageSocket: message ids
 * from a counter, calls answered by Reply / Error / Canceled with the call's id, Events dispatched by (service,
 * object, signal), and the capability handshake with its `auth_*` credentials before anything else.
 */
import { CanceledError, ConnectionLostError, ProtocolError, RemoteError, TimeoutError, UnauthorizedError, type QiError } from '../protocol/errors.js';
import { MessageType } from '../protocol/header.js';
import {
  buildLibqiMessage,
  decodeValue,
  encodeToBytes,
  FLAG_DYNAMIC_PAYLOAD,
  libqiPayload,
  LibqiAddress,
  parseSignature,
  readLibqiHeader,
  typed,
  type CodecOptions,
  type QiType,
} from '../protocol/libqi/index.js';
import type { Link } from '../transports/transport.js';

/** The capabilities this side announces; the shared value of each is the AND of both sides'. */
export const LOCAL_CAPABILITIES: ReadonlyArray<[string, boolean]> = [
  ['ClientServerSocket', true],
  // Flagged payloads (dynamic, or with a return signature) are not sent by this side.
  ['MessageFlags', false],
  ['MetaObjectCache', false],
  ['ObjectPtrUID', true],
  // `qi:Name` endpoints would need calls relayed by the directory: only direct tcp/tcps endpoints are used.
  ['RelativeEndpointURI', false],
  ['RemoteCancelableCalls', true],
];

const AUTH_STATE_KEY = '__qi_auth_state';
const AUTH_STATE_ERROR = 1;
const AUTH_STATE_CONTINUE = 2;
const AUTH_STATE_DONE = 3;
/** Rounds of state 2 (Continue) accepted before the peer is taken to be looping. */
const MAX_AUTH_ROUNDS = 8;

/** What a credential exchange sends: values for `auth_<key>` fields. */
export type LibqiCredentials = Record<string, string>;

export interface LibqiAuthOptions {
  /** Sent with the first authenticate as `auth_<key>`: `{ user: 'nao', token: '…' }`. */
  credentials?: LibqiCredentials;
  /**
   * Answers a state 2 (Continue) reply: given the reply's fields (`auth_challenge`, …, without the `auth_` prefix),
   * the fields of the next authenticate. Without it, a Continue fails the connection with UnauthorizedError.
   */
  answerChallenge?: (challenge: Record<string, unknown>) => LibqiCredentials | Promise<LibqiCredentials>;
}

export interface CallOutcome {
  promise: Promise<unknown>;
  /** The message id of the call, for a Cancel. */
  id: number;
}

interface PendingCall {
  returnType: QiType;
  resolve: (value: unknown) => void;
  reject: (error: QiError) => void;
}

/** An Event's payload, to be decoded by the signal's signature (or as one `m` when `dynamic`). */
export type EventListener = (payload: Uint8Array, dynamic: boolean) => void;

export class LibqiSocket {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly eventHandlers = new Map<string, EventListener>();
  private closeReason: QiError | undefined;
  private readonly closeListeners = new Set<(reason: QiError) => void>();
  /** Set by the handshake, from the capabilities both sides share. */
  codec: CodecOptions = { objectPtrUid: true };
  private peerCapabilities = new Map<string, unknown>();

  constructor(readonly link: Link) {
    link.onFrame((frame) => this.onMessage(frame));
    link.onClose((reason) => this.closed(reason));
  }

  get remote(): string {
    return this.link.remote;
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Calls `listener` once, when the socket closes (at once if it is closed). Returns a function that removes it. */
  onClose(listener: (reason: QiError) => void): () => void {
    if (this.closeReason) {
      listener(this.closeReason);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(reason?: QiError): void {
    this.link.close(reason);
  }

  /**
   * The capability exchange and authentication: the first message, a Call to (0, 0, 8) with the capabilities and
   * credentials as a `{sm}` map, repeated while the peer answers state 2 (Continue). Rejects with
   * UnauthorizedError when the peer refuses.
   */
  async authenticate(auth: LibqiAuthOptions = {}): Promise<void> {
    const first = new Map<string, unknown>(LOCAL_CAPABILITIES.map(([name, value]) => [name, value]));
    for (const [key, value] of Object.entries(auth.credentials ?? {})) first.set(`auth_${key}`, value);
    let request: Map<string, unknown> = first;
    for (let round = 0; round < MAX_AUTH_ROUNDS; round++) {
      let reply: Map<string, unknown>;
      try {
        const { promise } = this.send(LibqiAddress.socketService, LibqiAddress.socketObject, LibqiAddress.authenticateAction, parseSignature('{sm}'), request, parseSignature('{sm}'), MessageType.Call);
        reply = (await promise) as Map<string, unknown>;
      } catch (err) {
        if (err instanceof RemoteError) throw new UnauthorizedError(`${this.remote} refused the authentication: ${err.message}`);
        if (err instanceof ConnectionLostError) throw new UnauthorizedError(`${this.remote} closed the connection during authentication (refused?): ${err.message}`);
        throw err;
      }
      for (const [key, value] of reply) if (!key.startsWith('auth_') && key !== AUTH_STATE_KEY) this.peerCapabilities.set(key, value);
      const state = reply.get(AUTH_STATE_KEY);
      if (state === AUTH_STATE_DONE) {
        this.codec = { objectPtrUid: this.shared('ObjectPtrUID') };
        return;
      }
      if (state === AUTH_STATE_ERROR) throw new UnauthorizedError(`${this.remote} refused the authentication`);
      if (state !== AUTH_STATE_CONTINUE) throw new ProtocolError(`authentication reply with state ${String(state)} from ${this.remote}`);
      if (!auth.answerChallenge) throw new UnauthorizedError(`${this.remote} asked for another authentication step (state 2) and no answerChallenge was given`);
      const challenge: Record<string, unknown> = {};
      for (const [key, value] of reply) if (key.startsWith('auth_')) challenge[key.slice(5)] = value;
      const answer = await auth.answerChallenge(challenge);
      // libqi's own second step carries only the auth_ fields, no capabilities.
      request = new Map(Object.entries(answer).map(([key, value]) => [`auth_${key}`, value]));
    }
    throw new UnauthorizedError(`${this.remote} asked for more than ${MAX_AUTH_ROUNDS} authentication steps`);
  }

  /** True when both sides announced the boolean capability. */
  shared(name: string): boolean {
    const local = LOCAL_CAPABILITIES.find(([n]) => n === name)?.[1] ?? false;
    return local && this.peerCapabilities.get(name) === true;
  }

  /** A Call (or a Post, which no answer follows): `args` encoded as `paramsType`, the reply decoded as `returnType`. */
  send(service: number, object: number, action: number, paramsType: QiType, args: unknown, returnType: QiType, type: MessageType = MessageType.Call): CallOutcome {
    return this.sendPayload(service, object, action, encodeToBytes(paramsType, args, this.codec), returnType, type);
  }

  /** `send` with the arguments already encoded. */
  sendPayload(service: number, object: number, action: number, payload: Uint8Array, returnType: QiType, type: MessageType = MessageType.Call): CallOutcome {
    const id = this.allocateId();
    if (this.closeReason) return { id, promise: Promise.reject(this.closeReason) };
    const message = buildLibqiMessage({ id, type, flags: 0, service, object, action }, payload);
    if (type === MessageType.Post) {
      this.link.send(message);
      return { id, promise: Promise.resolve(undefined) };
    }
    const promise = new Promise<unknown>((resolve, reject) => this.pending.set(id, { returnType, resolve, reject }));
    this.link.send(message);
    return { id, promise };
  }

  /**
   * Asks the peer to cancel call `id` (type 7 to the call's object, action 0, payload the id) and rejects the call
   * at once with `reason`; the peer's Canceled (or a late Reply) is then ignored.
   */
  cancel(service: number, object: number, id: number, reason: QiError = new CanceledError('call canceled')): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    if (!this.closeReason && this.shared('RemoteCancelableCalls')) {
      this.link.send(buildLibqiMessage({ id: this.allocateId(), type: MessageType.Cancel, flags: 0, service, object, action: 0 }, encodeToBytes('I', id)));
    }
    call.reject(reason);
  }

  /** Routes Events of (service, object, signal) to `listener` (one per signal: the object client fans out). */
  setEventHandler(service: number, object: number, signal: number, listener: EventListener | undefined): void {
    const key = `${service}.${object}.${signal}`;
    if (listener) this.eventHandlers.set(key, listener);
    else this.eventHandlers.delete(key);
  }

  /** Per-process counter, as libqi's; 0 is never used. */
  private allocateId(): number {
    const id = this.nextId;
    this.nextId = id === 0xffffffff ? 1 : id + 1;
    return id;
  }

  private onMessage(frame: Uint8Array): void {
    const header = readLibqiHeader(frame);
    const payload = libqiPayload(frame);
    switch (header.type) {
      case MessageType.Reply:
      case MessageType.Error:
      case MessageType.Canceled: {
        const call = this.pending.get(header.id);
        if (!call) return;
        this.pending.delete(header.id);
        if (header.type === MessageType.Canceled) return call.reject(new CanceledError('call canceled by the service'));
        if (header.type === MessageType.Error) {
          const error = decodeValue('m', payload, this.codec);
          return call.reject(new RemoteError(typeof error === 'string' ? error : JSON.stringify(error)));
        }
        const returnType = header.flags & FLAG_DYNAMIC_PAYLOAD ? parseSignature('m') : call.returnType;
        return call.resolve(decodeValue(returnType, payload, this.codec));
      }
      case MessageType.Event: {
        const handler = this.eventHandlers.get(`${header.service}.${header.object}.${header.action}`);
        if (handler) handler(payload, (header.flags & FLAG_DYNAMIC_PAYLOAD) !== 0);
        return;
      }
      case MessageType.Capability: {
        const capabilities = decodeValue('{sm}', payload, this.codec) as Map<string, unknown>;
        for (const [key, value] of capabilities) this.peerCapabilities.set(key, value);
        return;
      }
      case MessageType.Call:
      case MessageType.Post:
        // A client serves nothing: libqi answers a call to an unknown object with an Error, and so does this side.
        if (header.type === MessageType.Call) {
          this.link.send(
            buildLibqiMessage({ ...header, type: MessageType.Error, flags: 0 }, encodeToBytes('m', typed('s', `no object ${header.service}.${header.object} on this client`))),
          );
        }
        return;
      default:
        return;
    }
  }

  private closed(reason: QiError): void {
    this.closeReason = reason;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(reason);
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener(reason);
  }
}

/** Rejects with TimeoutError after `ms`, for the handshake. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`${what} took more than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

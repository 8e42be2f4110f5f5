/**
 * The Capability exchange that opens a link, with authentication (lib/auth/authenticator.ts), for either role.
 *
 *   initiator ── Capability { protocol, features, auth? } ──────────────▶ acceptor   (no authenticator: open)
 *             ◀── Capability { protocol, features, authState: 'done' } ──           (let in: open)
 *             ◀── Capability { …, authState: 'continue', challenge } ──             (ask again:)
 *             ── Capability { protocol, features, auth: answer } ───────▶           (… until done or refused)
 *             ◀── Error { code: 'Unauthorized', message } ── and the acceptor closes the link
 *
 * It reads only Capability frames on channel 0; anything else before the link is open breaks the protocol.
 */
import { type AuthMap, type Authenticator, type Credentials, type Identity, presentCredentials, readAuthMap } from '../auth/authenticator.js';
import type { FailedAttempts } from '../auth/failed-attempts.js';
import { buildMessage, decodeMessageBody } from '../protocol/codec.js';
import { CONTROL_CHANNEL, localCapability, type CapabilityBody } from '../protocol/control.js';
import { errorFromBody, ProtocolError, toQiError, UnauthorizedError, type QiError } from '../protocol/errors.js';
import { frameChannel, frameId, frameType, MessageType, PROTOCOL_VERSION } from '../protocol/header.js';
import type { Link } from '../transports/transport.js';

export type SessionRole = 'initiator' | 'acceptor';

/** The optional features of the peer this side uses, read from its Capability. */
export interface PeerFeatures {
  /** It understands a Call flagged WANTS_PROGRESS (and answers it with Progress frames). */
  progress: boolean;
  /** It takes a Reply flagged OBJECT_RESULT: a method's object as a channel of its own (§5, Objects). */
  objects: boolean;
}

export interface HandshakeAuth {
  /** Accepting side: who may open a link (default: anyone). */
  authenticate?: Authenticator | undefined;
  /** Accepting side: refusals counted per remote address. */
  failedAttempts?: FailedAttempts | undefined;
  /** Connecting side: what to present. */
  credentials?: Credentials | undefined;
  /** This side announces `features.objects` (it takes object results: a Connection's session). */
  objects?: boolean | undefined;
}

export class Handshake {
  private step = 0;
  private challenge: AuthMap | undefined;
  /** While an authenticator (or the credentials function) runs, a frame from the peer breaks the protocol. */
  private busy = false;
  private finished = false;
  /** What the peer's last Capability said it supports (`features`); unknown keys are kept and ignored. */
  private features: Readonly<Record<string, unknown>> = {};

  constructor(
    private readonly role: SessionRole,
    private readonly link: Link,
    private readonly send: (frame: Uint8Array) => void,
    private readonly auth: HandshakeAuth,
    private readonly done: (identity: Identity | undefined, features: PeerFeatures) => void,
  ) {}

  /** The initiator speaks first. */
  start(): void {
    if (this.role !== 'initiator') return;
    if (this.auth.credentials === undefined) {
      this.sendCapability(0, {});
      return;
    }
    this.run(presentCredentials(this.auth.credentials, undefined), (auth) => this.sendCapability(0, { auth }));
  }

  /** A frame before the link is open. */
  receive(frame: Uint8Array): void {
    if (this.finished) return;
    if (this.role === 'initiator' && frameType(frame) === MessageType.Error && frameChannel(frame) === CONTROL_CHANNEL) {
      // The acceptor refused us (Unauthorized), or our Capability.
      let error: QiError;
      try {
        error = errorFromBody(decodeMessageBody(frame));
      } catch (err) {
        error = toQiError(err);
      }
      this.fail(error, false);
      return;
    }
    if (this.busy) {
      this.fail(new ProtocolError('a frame came before the handshake step was answered'), true, frame);
      return;
    }
    if (frameType(frame) !== MessageType.Capability || frameChannel(frame) !== CONTROL_CHANNEL) {
      this.fail(new ProtocolError('the first frame of a link must be a Capability frame on channel 0'), true, frame);
      return;
    }
    let capability: Partial<CapabilityBody> & { auth?: unknown; authState?: unknown; challenge?: unknown };
    try {
      capability = decodeMessageBody(frame) as typeof capability;
    } catch (err) {
      this.fail(toQiError(err), true, frame);
      return;
    }
    const protocol = typeof capability === 'object' && capability !== null ? capability.protocol : undefined;
    if (protocol !== PROTOCOL_VERSION) {
      const got = typeof protocol === 'number' ? String(protocol) : 'none';
      this.fail(new ProtocolError(`unsupported protocol ${got} (this peer speaks ${PROTOCOL_VERSION})`), true, frame);
      return;
    }
    const features: unknown = capability.features;
    if (typeof features === 'object' && features !== null) this.features = features as Record<string, unknown>;
    if (this.role === 'acceptor') this.acceptorStep(frameId(frame), capability.auth);
    else this.initiatorStep(capability.authState, capability.challenge);
  }

  private acceptorStep(id: number, auth: unknown): void {
    const authenticate = this.auth.authenticate;
    if (!authenticate) {
      this.sendCapability(id, {});
      this.finish(undefined);
      return;
    }
    const remote = this.link.remote;
    if (this.auth.failedAttempts?.blocks(remote)) {
      this.refuse(id, 'too many failed attempts from this address; try again later', false);
      return;
    }
    const credentials = readAuthMap(auth);
    if (typeof credentials === 'string') {
      this.refuse(id, credentials, true);
      return;
    }
    const peer = { remote, step: ++this.step, challenge: this.challenge, certificate: this.link.peerCertificate };
    this.run(Promise.resolve().then(() => authenticate(credentials, peer)), (result) => {
      if ('identity' in result) {
        this.sendCapability(id, { authState: 'done' });
        this.finish(result.identity);
      } else if ('challenge' in result) {
        this.challenge = result.challenge;
        this.sendCapability(id, { authState: 'continue', challenge: result.challenge });
      } else {
        this.refuse(id, result.refused, true);
      }
    }, (err) => this.refuse(id, err instanceof Error ? err.message : 'refused', true));
  }

  private initiatorStep(authState: unknown, challenge: unknown): void {
    if (authState !== 'continue') {
      this.finish(undefined);
      return;
    }
    const asked = readAuthMap(challenge);
    if (typeof asked === 'string') {
      this.fail(new ProtocolError(`malformed challenge: ${asked}`), false);
      return;
    }
    const credentials = this.auth.credentials;
    if (typeof credentials !== 'function') {
      this.fail(new UnauthorizedError(`${this.link.remote} asks for more than the credentials given (a challenge)`), false);
      return;
    }
    this.run(presentCredentials(credentials, asked), (auth) => this.sendCapability(0, { auth }));
  }

  /** Runs one asynchronous step; frames from the peer meanwhile break the protocol. */
  private run<T>(step: Promise<T>, then: (value: T) => void, otherwise: (err: unknown) => void = (err) => this.fail(toQiError(err), false)): void {
    this.busy = true;
    step.then(
      (value) => {
        this.busy = false;
        if (!this.finished && !this.link.closed) then(value);
      },
      (err: unknown) => {
        this.busy = false;
        if (!this.finished && !this.link.closed) otherwise(err);
      },
    );
  }

  private refuse(id: number, reason: string, counts: boolean): void {
    if (counts) this.auth.failedAttempts?.failed(this.link.remote);
    const error = new UnauthorizedError(`authentication refused: ${reason}`);
    this.send(buildMessage(MessageType.Error, CONTROL_CHANNEL, id, 0, 0, error.toBody()));
    this.fail(error, false);
  }

  private sendCapability(id: number, extra: Record<string, unknown>): void {
    this.send(buildMessage(MessageType.Capability, CONTROL_CHANNEL, id, 0, 0, { ...localCapability(this.auth.objects === true), ...extra }));
  }

  private finish(identity: Identity | undefined): void {
    this.finished = true;
    this.done(identity, { progress: this.features['progress'] === true, objects: this.features['objects'] === true });
  }

  /** Ends the link with `error`; when `answer`, the peer's frame is first answered with it. */
  private fail(error: QiError, answer: boolean, frame?: Uint8Array): void {
    this.finished = true;
    if (answer && frame) this.send(buildMessage(MessageType.Error, CONTROL_CHANNEL, frameId(frame), 0, 0, error.toBody()));
    this.link.close(error);
  }
}

/**
 * The Gateway's answer to `bind`: one Forwarder actor per binding, started as a child of the gateway actor.
 *
 * Forwarders are created with the gateway actor as `parent` and kept in this pool's own Set, not in the gateway's
 * children map: XState copies a parent's children map on every spawn, which would make the n-th binding cost
 * O(n) (ARCHITECTURE.md, "Where forwarders live"). They still join the gateway's actor system, so the inspector
 * sees them. The forwarder answers the bind itself, once it is active or has ended.
 */
import type { AnyActorRef } from 'xstate';
import { startActor } from '../lib/actor-runtime.js';
import type { Logger } from '../lib/diagnostics.js';
import type { ForwarderGateway } from '../lib/gateway/gateway-runtime.js';
import { ControlAction, type BindReply } from '../lib/protocol/control.js';
import { ClosedError, ServiceGoneError, type QiError } from '../lib/protocol/errors.js';
import type { Identity } from '../lib/auth/authenticator.js';
import type { BindAdmission } from '../lib/gateway/bind-admission.js';
import type { Session } from '../lib/session/session.js';
import { forwarderMachine, type BindAnswers } from './forwarder.js';

export type ForwarderActor = ReturnType<typeof startActor<typeof forwarderMachine>>;

export class ForwarderPool implements BindAnswers {
  /** The live bindings' forwarders. */
  readonly actors = new Set<ForwarderActor>();
  /** The binds not answered yet, by bind number. */
  private readonly pending = new Map<number, { resolve(reply: BindReply): void; reject(error: QiError): void }>();
  private owner: AnyActorRef | undefined;
  private bindCount = 0;

  constructor(
    private readonly gateway: ForwarderGateway,
    private readonly admission: BindAdmission,
    private readonly logger?: Logger,
  ) {}

  /** The gateway actor, parent of every forwarder. */
  attach(owner: AnyActorRef): void {
    this.owner = owner;
  }

  /** Answers a client's bind once its forwarder is active (or has ended), if the gateway admits it. */
  async bind(name: string, client: Session, caller: Identity | undefined): Promise<BindReply> {
    const release = await this.admission.admit(name, client, caller);
    if (client.isClosed) {
      release();
      throw client.reason ?? new ClosedError('the client link closed');
    }
    const bind = ++this.bindCount;
    const reply = new Promise<BindReply>((resolve, reject) => this.pending.set(bind, { resolve, reject }));
    const forwarder = startActor(forwarderMachine, {
      input: { name, client, gateway: this.gateway, answers: this, bind, caller },
      parent: this.owner,
      systemId: `forwarder:${client.id}:${name}:${bind}`,
      logger: this.logger,
      onEnd: (ended, failed, error) => {
        release();
        this.actors.delete(ended);
        if (failed) this.abandon(ended, error);
      },
    });
    // One that ended while starting has already been told its end.
    if (forwarder.getSnapshot().status === 'active') this.actors.add(forwarder);
    return reply;
  }

  bound(bind: number, reply: BindReply): void {
    this.pending.get(bind)?.resolve(reply);
    this.pending.delete(bind);
  }

  refused(bind: number, error: QiError): void {
    this.pending.get(bind)?.reject(error);
    this.pending.delete(bind);
  }

  /** Ends every binding (the gateway is closing); each forwarder goes to a final state on STOP. */
  stopAll(): void {
    for (const forwarder of this.actors) forwarder.send({ type: 'STOP' });
    this.actors.clear();
  }

  toJSON(): object {
    return { bindings: this.actors.size };
  }

  /** A forwarder died of a bug: remove its route, tell its client, answer its bind, so nothing is left half-wired. */
  private abandon(forwarder: ForwarderActor, err: unknown): void {
    const { route, client, name, bind } = forwarder.getSnapshot().context;
    const error = new ServiceGoneError(`binding to '${name}' failed in the gateway: ${err instanceof Error ? err.message : String(err)}`);
    this.refused(bind, error);
    if (!route?.isInstalled) return;
    route.remove();
    if (!client.isClosed) client.endChannel(route.clientChannel, error);
    if (!route.service.isClosed) route.service.controlCall(ControlAction.unbind, { channel: route.serviceChannel }).catch(() => undefined);
  }
}

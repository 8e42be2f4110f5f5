import type { Actor } from 'xstate';
import { ForwarderPool, type ForwarderActor } from '../../actors/forwarder-pool.js';
import { gatewayMachine } from '../../actors/gateway.js';
import { restoreError, startActor } from '../actor-runtime.js';
import { BindAdmission, type BindAuthorizer } from '../gateway/bind-admission.js';
import { GATEWAY_MONITOR_NAME } from '../gateway/gateway-monitor.js';
import { GatewayRuntime } from '../gateway/gateway-runtime.js';
import { LibqiBridge, type LibqiBridgeOptions } from '../gateway/libqi-bridge.js';
import { BadArgumentsError, type QiError } from '../protocol/errors.js';
import { backoffPolicy, ROBOT_SIDE_MAX_DELAY_MS, type BackoffOptions } from '../session/backoff.js';
import { ActorHandle } from './actor-handle.js';
import { closeActor, settled } from './lifecycle.js';
import { resolveOptions, type CommonOptions } from './options.js';

export interface GatewayOptions extends CommonOptions {
  /**
   * The qimessaging ServiceDirectory's endpoint. Optional with `libqiDirectory` (a gateway in front of a robot
   * only); one of the two is required.
   */
  directory?: string;
  /**
   * A libqi ServiceDirectory (a NAOqi robot: `tcp://robot:9559`, NAOqi 2.9 `tcps://robot:9503`; the kit's `qi_sd`)
   * whose services this gateway bridges: clients bind them by name and use them as native ones, the gateway
   * translating CBOR ⇄ libqi for those bindings (docs/PROTOCOL.md §11). With `directory` too, a bind looks in the
   * qimessaging directory first and in the libqi one when the name is not there. The gateway does not start
   * without reaching it; a lost link is opened again on `reconnect`'s backoff, and on the next bind.
   */
  libqiDirectory?: string;
  /**
   * How to reach `libqiDirectory` and its services: `user` and `token` (or `credentials`, `answerChallenge`), `tls`
   * for `tcps://` / `tcpsm://`, `connectTimeout`. A directory that refuses them fails the start, and later binds,
   * with DirectoryUnavailable whose `data.cause` is `'Unauthorized'`.
   */
  libqi?: LibqiBridgeOptions;
  /** Endpoints clients connect to, e.g. `['tcp://127.0.0.1:9559']`. */
  listen: string[];
  /**
   * When to try the directory again after its link was lost: exponential backoff with jitter, for ever (default
   * from 100 ms doubling to 1 s, ±20%). Live bindings go on meanwhile; new binds fail with DirectoryUnavailable.
   */
  reconnect?: BackoffOptions;
  /** @deprecated The first delay of `reconnect` (`reconnect.initialDelayMs`). */
  retryDelayMs?: number;
  /**
   * Checked on every bind, before the directory is asked: `({ caller, service, remote }) => boolean`. `caller` is
   * the client's identity at this gateway (its `authenticate` option). False or a throw refuses the bind with
   * Unauthorized. Default: every client may bind every service.
   */
  authorize?: BindAuthorizer;
  /** Most bindings one client link holds at once, binds in progress included (default 1,024; beyond, LimitExceeded). */
  maxBindingsPerLink?: number;
  /** Most bindings the links of one remote host hold at once (default 4,096; in-process links are not counted). */
  maxBindingsPerAddress?: number;
}

/** A running Gateway: binds clients to services by name and forwards their frames. */
export class Gateway extends ActorHandle<typeof gatewayMachine> {

  /** @internal Use `createGateway`. */
  constructor(actor: Actor<typeof gatewayMachine>) {
    super(actor);
  }

  /** The endpoints listened on, with ephemeral ports resolved. */
  get endpoints(): string[] {
    return this.actor.getSnapshot().context.endpoints;
  }

  get url(): string {
    return this.endpoints[0]!;
  }

  /** The live bindings' Forwarder actors. */
  get forwarders(): ReadonlySet<ForwarderActor> {
    return this.actor.getSnapshot().context.forwarders.actors;
  }

  /** Stops every forwarder and closes every link and listener. Idempotent. */
  override close(): Promise<void> {
    return super.close();
  }

}

/** Starts a Gateway: connects to the directory, listens, and resolves once ready. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { transports, inspect, logger, limits } = resolveOptions(options);
  const admission = new BindAdmission({
    authorize: options.authorize,
    maxBindingsPerLink: options.maxBindingsPerLink,
    maxBindingsPerAddress: options.maxBindingsPerAddress,
  });
  if (options.directory === undefined && options.libqiDirectory === undefined) {
    throw new BadArgumentsError('a gateway needs a directory: `directory` (qimessaging), `libqiDirectory`, or both');
  }
  const backoff = backoffPolicy({ maxDelayMs: ROBOT_SIDE_MAX_DELAY_MS, initialDelayMs: options.retryDelayMs, ...options.reconnect });
  const libqi = options.libqiDirectory === undefined ? undefined : new LibqiBridge(options.libqiDirectory, options.libqi, backoff, admission);
  // The monitor is the gateway's own service: no directory, but the same authorization and share as any bind.
  const runtime = new GatewayRuntime(
    transports,
    options.directory,
    limits,
    limits,
    async (name, client, caller) => {
      if (name === GATEWAY_MONITOR_NAME) return runtime.monitor.bind(client, caller, await admission.admit(name, client, caller));
      if (!libqi) return forwarders.bind(name, client, caller);
      if (options.directory !== undefined) {
        try {
          return await forwarders.bind(name, client, caller);
        } catch (err) {
          // Not a qimessaging service: perhaps a libqi one.
          if ((err as QiError).code !== 'ServiceNotFound') throw err;
        }
      }
      return libqi.bind(name, client, caller, await admission.admit(name, client, caller));
    },
    libqi,
  );
  const forwarders = new ForwarderPool(runtime, admission, logger);
  const actor = startActor(gatewayMachine, {
    input: { runtime, forwarders, listen: options.listen, backoff },
    inspect,
    logger,
    systemId: 'gateway',
  });
  forwarders.attach(actor);
  const snapshot = await settled(actor, 'ready');
  if (!snapshot.matches('ready')) {
    await closeActor(actor);
    throw restoreError(snapshot.context.error, 'the gateway could not start');
  }
  return new Gateway(actor);
}

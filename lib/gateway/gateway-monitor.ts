/**
 * The gateway's built-in service `GatewayMonitor`, bound on the gateway's own links like any service but never in
 * the directory: whoever reaches a gateway can watch the traffic it forwards (`qi trace`, `qi top`).
 *
 *   trace(service)   this binding's `traced` signal carries the calls of `service` (call it once per service)
 *   untrace(service) stops that
 *   traced           signal [TraceEvent]: each call, reply, error, cancel and post of a traced service
 *   load             signal [ServiceLoad[]]: once a second, calls per second and p50/p99 latency per service
 *
 * Off and free unless someone listens: the TraceSwitch's tracer is made when the first binding subscribes to
 * `traced` or `load` and dropped when the last one leaves (or its link closes), and the load timer runs only then.
 */
import { encodeBody } from '../protocol/codec.js';
import { BadArgumentsError } from '../protocol/errors.js';
import { signal, type Signal } from '../service/members.js';
import { memberTable, type EventSink, type MemberTable } from '../service/meta-object.js';
import { ServedObject } from '../service/served-object.js';
import type { Identity } from '../auth/authenticator.js';
import { ServiceBinding } from '../service/service-binding.js';
import type { BindReply } from '../protocol/control.js';
import type { Session } from '../session/session.js';
import { CallTracer, type ServiceLoad, type TraceEvent, type TraceSwitch } from './call-tracer.js';

/** The name a gateway answers `bind` with its monitor for (it shadows a directory service of that name). */
export const GATEWAY_MONITOR_NAME = 'GatewayMonitor';

/** How often `load` is emitted, in ms. */
export const LOAD_INTERVAL_MS = 1_000;

/** The monitor as a client sees it: `conn.service<GatewayMonitorService>('GatewayMonitor')`. */
export interface GatewayMonitorService {
  trace(service: string): void;
  untrace(service: string): void;
  traced: Signal<[event: TraceEvent]>;
  load: Signal<[load: ServiceLoad[]]>;
}

class MonitorObject extends ServedObject {
  /** What each binding asked to trace. */
  readonly filters = new Map<EventSink, Set<string>>();

  constructor(
    members: MemberTable,
    private readonly changed: () => void,
  ) {
    super(members);
  }

  override subscribe(sink: EventSink, memberId: number): void {
    super.subscribe(sink, memberId);
    this.changed();
  }

  override unsubscribe(sink: EventSink, memberId: number): boolean {
    const was = super.unsubscribe(sink, memberId);
    this.changed();
    return was;
  }

  override dropSubscriber(sink: EventSink): number {
    const dropped = super.dropSubscriber(sink);
    this.filters.delete(sink);
    this.changed();
    return dropped;
  }

  /** The bindings subscribed to member `memberId`. */
  sinks(memberId: number): ReadonlySet<EventSink> {
    return this.subscribers.get(memberId) ?? new Set();
  }
}

export class GatewayMonitor implements TraceSwitch {
  tracer: CallTracer | null = null;
  private readonly object: MonitorObject;
  private readonly tracedId: number;
  private readonly loadSignal = signal<[ServiceLoad[]]>();
  private loadTimer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    const filterOf = (binding: EventSink): Set<string> => {
      let filter = this.object.filters.get(binding);
      if (!filter) this.object.filters.set(binding, (filter = new Set()));
      return filter;
    };
    const serviceName = (value: unknown): string => {
      if (typeof value !== 'string' || value === '') throw new BadArgumentsError('expected a service name');
      return value;
    };
    const members = memberTable(
      GATEWAY_MONITOR_NAME,
      [
        {
          name: 'trace',
          arity: 1,
          invoke: ([service], { binding }) => {
            filterOf(binding).add(serviceName(service));
            this.update();
          },
        },
        {
          name: 'untrace',
          arity: 1,
          invoke: ([service], { binding }) => {
            filterOf(binding).delete(serviceName(service));
            this.update();
          },
        },
      ],
      // `traced` is sent to each binding by its own filter (below), never through its Signal.
      [
        { name: 'traced', signal: signal() },
        { name: 'load', signal: this.loadSignal },
      ],
    );
    this.tracedId = members.metaObject.signals[0]!.id;
    this.object = new MonitorObject(members, () => this.update());
  }

  /** A binding of the monitor on a client's link (the gateway's answer to `bind('GatewayMonitor')`). */
  bind(session: Session, caller: Identity | undefined, release: () => void): BindReply {
    const binding = new ServiceBinding(this.object, session, caller, release);
    return { channel: binding.channel, metaObject: this.object.metaObject };
  }

  /** The gateway is closing. */
  close(): void {
    this.stop();
    this.object.detach();
  }

  /** Nobody listens any more: back to the untraced fast path. */
  private stop(): void {
    clearInterval(this.loadTimer);
    this.loadTimer = undefined;
    this.tracer = null;
  }

  /** Makes or drops the tracer, and starts or stops the load timer, after any change of who listens. */
  private update(): void {
    const tracing = this.object.sinks(this.tracedId);
    const traced = new Set<string>();
    for (const sink of tracing) for (const service of this.object.filters.get(sink) ?? []) traced.add(service);
    const measuring = this.object.sinks(this.tracedId + 1).size > 0;
    if (traced.size === 0 && !measuring) {
      this.stop();
      return;
    }
    this.tracer ??= new CallTracer((event) => this.publish(event));
    this.tracer.traced = traced;
    this.tracer.measuring = measuring;
    if (measuring && !this.loadTimer) {
      this.loadTimer = setInterval(() => this.loadSignal.emit(this.tracer?.takeLoad(LOAD_INTERVAL_MS) ?? []), LOAD_INTERVAL_MS);
      this.loadTimer.unref();
    } else if (!measuring && this.loadTimer) {
      clearInterval(this.loadTimer);
      this.loadTimer = undefined;
    }
  }

  /** One trace event to every binding tracing its service, encoded once. */
  private publish(event: TraceEvent): void {
    let body: Uint8Array | undefined;
    for (const sink of this.object.sinks(this.tracedId)) {
      if (!this.object.filters.get(sink)?.has(event.service)) continue;
      body ??= encodeBody([event]);
      sink.sendEvent(this.tracedId, body);
    }
  }
}

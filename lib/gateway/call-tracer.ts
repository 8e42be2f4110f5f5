/**
 * What the gateway sees of the calls it forwards, measured only while someone asks (the GatewayMonitor's
 * subscribers): routes hold a TraceSwitch and test its `tracer` field, null while nobody traces, so the forwarding
 * fast path pays one field read. While on, a route reports each Call going up and each answer coming down; the
 * tracer pairs them by (route, id), decodes nothing but what it reports (an Error's body, a property's id), and
 * turns them into trace events and per-service latency samples.
 */
import { decodeMessageBody } from '../protocol/codec.js';
import { ObjectAction, type MetaObject } from '../protocol/control.js';
import { errorFromBody } from '../protocol/errors.js';
import { frameAction, frameId, frameType, MessageType } from '../protocol/header.js';

/** One thing the gateway saw a client do with a service, or the service answer. */
export interface TraceEvent {
  /** When the gateway saw it, in ms since the epoch. */
  time: number;
  /** A call went up, its reply, error or Canceled came down, or a post (one-way call) went up. */
  kind: 'call' | 'reply' | 'error' | 'canceled' | 'post';
  service: string;
  /** The method's name; `property(name)`, `setProperty(name)`, `properties` or `metaObject` for reserved actions. */
  method: string;
  /** The call's id on the client's link: with `client`, it pairs a call with its answer (0 for a post). */
  id: number;
  /** The client's link, as the gateway names it (`link-7`). */
  client: string;
  /** For an answer: ms from the call going up to its answer coming down, as the gateway saw it. */
  latencyMs?: number;
  /** For an error: its code and message. */
  error?: { code: string; message: string };
}

/** Calls answered for one service through the gateway during one interval. */
export interface ServiceLoad {
  service: string;
  /** Calls answered in the interval (replies, errors, canceled). */
  calls: number;
  errors: number;
  callsPerSecond: number;
  /** Latency percentiles in ms over the interval's answers; null when there were none. */
  p50Ms: number | null;
  p99Ms: number | null;
}

/** What a route holds: the tracer while someone traces, else null. */
export interface TraceSwitch {
  readonly tracer: CallTracer | null;
}

/** What the tracer needs to know of a route. */
export interface TracedRoute {
  readonly serviceName: string;
  readonly metaObject?: MetaObject | undefined;
  readonly client: { readonly id: string };
}

interface LoadBucket {
  calls: number;
  errors: number;
  latencies: number[];
}

const methodNames = new WeakMap<MetaObject, Map<number, string>>();

export class CallTracer {
  /** Services whose events are wanted (by `trace(service)` subscribers), and whether every service's are. */
  traced: ReadonlySet<string> = new Set();
  /** Load is measured for every service while someone watches it. */
  measuring = false;
  private readonly calls = new WeakMap<TracedRoute, Map<number, { start: number; method: string }>>();
  private buckets = new Map<string, LoadBucket>();

  constructor(private readonly publish: (event: TraceEvent) => void) {}

  /** A Call the route is forwarding up. */
  called(route: TracedRoute, frame: Uint8Array): void {
    const tracing = this.traced.has(route.serviceName);
    if (!tracing && !this.measuring) return;
    const id = frameId(frame);
    const method = methodName(route.metaObject, frame, tracing);
    let calls = this.calls.get(route);
    if (!calls) this.calls.set(route, (calls = new Map()));
    calls.set(id, { start: performance.now(), method });
    if (tracing) this.publish({ time: Date.now(), kind: 'call', service: route.serviceName, method, id, client: route.client.id });
  }

  /** A Post the route is forwarding up: traced, not measured (nothing answers it). */
  posted(route: TracedRoute, frame: Uint8Array): void {
    if (!this.traced.has(route.serviceName)) return;
    const method = methodName(route.metaObject, frame, true);
    this.publish({ time: Date.now(), kind: 'post', service: route.serviceName, method, id: 0, client: route.client.id });
  }

  /** A frame the route is forwarding down: a Reply, Error or Canceled settles a call seen going up. */
  answered(route: TracedRoute, frame: Uint8Array): void {
    const type = frameType(frame);
    const kind = type === MessageType.Reply ? 'reply' : type === MessageType.Error ? 'error' : type === MessageType.Canceled ? 'canceled' : undefined;
    if (kind === undefined) return;
    const calls = this.calls.get(route);
    const id = frameId(frame);
    const call = calls?.get(id);
    if (!call) return; // a call that went up before tracing began
    calls!.delete(id);
    const latencyMs = performance.now() - call.start;
    if (this.measuring) this.sample(route.serviceName, latencyMs, kind === 'error');
    if (!this.traced.has(route.serviceName)) return;
    const event: TraceEvent = { time: Date.now(), kind, service: route.serviceName, method: call.method, id, client: route.client.id, latencyMs };
    if (kind === 'error') event.error = errorOf(frame);
    this.publish(event);
  }

  /** The load of every service since the last call, over `intervalMs`; starts the next interval. */
  takeLoad(intervalMs: number): ServiceLoad[] {
    const buckets = this.buckets;
    this.buckets = new Map();
    return [...buckets].map(([service, { calls, errors, latencies }]) => {
      latencies.sort((a, b) => a - b);
      return {
        service,
        calls,
        errors,
        callsPerSecond: (calls * 1_000) / intervalMs,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
      };
    });
  }

  private sample(service: string, latencyMs: number, failed: boolean): void {
    let bucket = this.buckets.get(service);
    if (!bucket) this.buckets.set(service, (bucket = { calls: 0, errors: 0, latencies: [] }));
    bucket.calls++;
    if (failed) bucket.errors++;
    bucket.latencies.push(latencyMs);
  }
}

/** The nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function methodName(metaObject: MetaObject | undefined, frame: Uint8Array, decodeArguments: boolean): string {
  const action = frameAction(frame);
  switch (action) {
    case ObjectAction.metaObject:
      return 'metaObject';
    case ObjectAction.properties:
      return 'properties';
    case ObjectAction.property:
    case ObjectAction.setProperty: {
      const verb = action === ObjectAction.property ? 'property' : 'setProperty';
      return decodeArguments ? `${verb}(${propertyName(metaObject, frame)})` : verb;
    }
  }
  return names(metaObject).get(action) ?? `#${action}`;
}

function propertyName(metaObject: MetaObject | undefined, frame: Uint8Array): string {
  try {
    const id = (decodeMessageBody(frame) as unknown[] | undefined)?.[0];
    return metaObject?.properties.find((p) => p.id === id)?.name ?? `#${String(id)}`;
  } catch {
    return '?';
  }
}

function names(metaObject: MetaObject | undefined): Map<number, string> {
  if (!metaObject) return new Map();
  let byId = methodNames.get(metaObject);
  if (!byId) methodNames.set(metaObject, (byId = new Map(metaObject.methods.map((m) => [m.id, m.name]))));
  return byId;
}

function errorOf(frame: Uint8Array): { code: string; message: string } {
  try {
    const { code, message } = errorFromBody(decodeMessageBody(frame));
    return { code, message };
  } catch {
    return { code: 'ProtocolError', message: 'undecodable Error body' };
  }
}

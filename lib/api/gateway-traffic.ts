/**
 * A gateway's view of the traffic it forwards, from any connection to it (`conn.trace(service)`, `conn.load()`):
 * iterators over the GatewayMonitor's signals. Each binds a monitor client of its own and closes it when the loop
 * stops, or `signal` aborts (which ends the loop at once, without waiting for the next event); after a
 * reconnection it asks for its trace again (the gateway forgets it with the link).
 */
import type { ServiceLoad, TraceEvent } from '../gateway/call-tracer.js';
import type { GatewayMonitorService } from '../gateway/gateway-monitor.js';
import type { ServiceProxy } from './service-client.js';

type BindMonitor = () => Promise<ServiceProxy<GatewayMonitorService>>;

/** Options of `conn.trace()` and `conn.load()`. */
export interface TrafficOptions {
  /** Aborting ends the loop (normally) at once, and the subscription at the gateway. */
  signal?: AbortSignal;
}

/** Closes the monitor client when `signal` aborts: its signal iterators then end normally. */
function closeOnAbort(monitor: { close(): Promise<void> }, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const close = (): void => void monitor.close();
  if (signal.aborted) close();
  signal.addEventListener('abort', close, { once: true });
  return () => signal.removeEventListener('abort', close);
}

export async function* traceCalls(bind: BindMonitor, service: string, options: TrafficOptions = {}): AsyncGenerator<TraceEvent, void, undefined> {
  const monitor = await bind();
  const stopAborting = closeOnAbort(monitor, options.signal);
  const stopWatching = monitor.onStatus((status) => {
    if (status.status === 'rebound') monitor.trace(service).catch(() => undefined);
  });
  try {
    const events = monitor.signal('traced');
    await monitor.trace(service).catch((err: unknown) => {
      if (!options.signal?.aborted) throw err;
    });
    for await (const [event] of events) if (event.service === service) yield event;
  } finally {
    stopWatching();
    stopAborting();
    await monitor.close();
  }
}

export async function* watchLoad(bind: BindMonitor, options: TrafficOptions = {}): AsyncGenerator<ServiceLoad[], void, undefined> {
  const monitor = await bind();
  const stopAborting = closeOnAbort(monitor, options.signal);
  try {
    for await (const [load] of monitor.signal('load')) yield load;
  } finally {
    stopAborting();
    await monitor.close();
  }
}

/**
 * A gateway's view of the traffic it forwards, from any connection to it (`conn.trace(service)`, `conn.load()`):
 * iterators over the GatewayMonitor's signals. Each binds a monitor client of its own and closes it when the loop
 * stops; after a reconnection it asks for its trace again (the gateway forgets it with the link).
 */
import type { ServiceLoad, TraceEvent } from '../gateway/call-tracer.js';
import type { GatewayMonitorService } from '../gateway/gateway-monitor.js';
import type { ServiceProxy } from './service-client.js';

type BindMonitor = () => Promise<ServiceProxy<GatewayMonitorService>>;

export async function* traceCalls(bind: BindMonitor, service: string): AsyncGenerator<TraceEvent, void, undefined> {
  const monitor = await bind();
  const stopWatching = monitor.onStatus((status) => {
    if (status.status === 'rebound') monitor.trace(service).catch(() => undefined);
  });
  try {
    const events = monitor.signal('traced');
    await monitor.trace(service);
    for await (const [event] of events) if (event.service === service) yield event;
  } finally {
    stopWatching();
    await monitor.close();
  }
}

export async function* watchLoad(bind: BindMonitor): AsyncGenerator<ServiceLoad[], void, undefined> {
  const monitor = await bind();
  try {
    for await (const [load] of monitor.signal('load')) yield load;
  } finally {
    await monitor.close();
  }
}

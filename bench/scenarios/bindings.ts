/**
 * bindings-scale: 100,000 concurrent bindings on one gateway (100 connections × 1,000 clients, memory transport).
 * The last 10,000 binds must be no slower than 2× the first 10,000 (spawn cost bounded, DESIGN §4); the gateway's
 * heap per binding at most 4 KiB (all sides together are reported, without a target); heap back within 10% once
 * every binding is closed. Needs `node --expose-gc`. Measured once, not in pairs: 100,000 bindings take most of a
 * minute, and the heap figures are counts, not rates.
 */
import { connect, createGateway, createService, createServiceDirectory, type Connection } from '../library.js';
import { median, reported, row, type Row } from '../measure.js';

const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * The heap once what the last closes or binds left queued has run: in-process work lets the event loop turn
 * (lib/transports/chain-budget.ts), so the last callbacks can still be waiting when the channels are all gone, and
 * weighing at once counted what they were about to release (4.6× the heap before binding, against 0.98 a moment
 * later). Weighs until two weighings 50 ms apart agree within 1%.
 */
async function settledHeap(): Promise<number> {
  let last = heap();
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = heap();
    if (Math.abs(now - last) <= last * 0.01) return now;
    last = now;
  }
  return last;
}

export async function bindingsScale(quick: boolean): Promise<Row[]> {
  const connections = quick ? 10 : 100;
  const perConnection = 1_000;
  const total = connections * perConnection;
  const directory = await createServiceDirectory({ listen: ['memory://bench-bindings-sd'] });
  const gateway = await createGateway({ directory: directory.url, listen: ['memory://bench-bindings-gw'], maxChannels: 2_000 });
  const service = await createService('counter', { get: () => 1 }, { directory: directory.url, maxChannels: total + 10, listen: ['memory://bench-bindings-svc'] });
  const links: Connection[] = [];
  try {
    for (let i = 0; i < connections; i++) links.push(await connect(gateway.url));
    // A client's close does not wait for the gateway to process its unbind, nor the gateway's close of its upstream
    // channel for the service's: before weighing the heap, let every forwarder end, then every service binding.
    const serviceLinks = service.actor.getSnapshot().context.host.links.sessions;
    const bindingsLeft = (): number => gateway.forwarders.size + [...serviceLinks].reduce((n, link) => n + link.channelCount, 0);
    const allEnded = async (): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (bindingsLeft() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      // Weighing the heap with bindings still open would make the row meaningless.
      if (bindingsLeft() > 0) throw new Error(`${bindingsLeft()} bindings still open 60 s after closing their clients`);
    };
    // Warm up with a full round (JIT code and caches are not per-binding costs), then measure from there.
    await closeAll(await bindAll(links, 1_000));
    await allEnded();
    const heapBefore = await settledHeap();
    const bound = await bindAll(links, total);
    // Every bind has been answered: nothing queued is worth waiting for, and each weighing of this heap takes ~3 s.
    const heapBound = heap();
    const perBinding = (heapBound - heapBefore) / total;
    const { batchMs } = bound;
    await closeAll(bound);
    await allEnded();
    const heapAfter = await settledHeap();
    // The gateway's own share: the same bindings made directly to the service weigh the client and service sides
    // alone; what the gateway adds is the difference.
    const direct = await bindDirect(service.endpoints[0]!, connections, perConnection);
    const gatewayShare = perBinding - direct;
    // The median batch of a tenth of the batches at each end, 10 of 1,000 binds in a full run: what a bind costs
    // once 99,000 are up, without the luck of where a major collection fell. One of the bench process's heap, ~850
    // MB by then, takes 1.5–3 s and lands in one batch: as single batches the row went from 0.93 to 4.02 between
    // runs, and as the mean of ten from 1.00 to 1.95. The heap-per-binding rows bound what those collections cost.
    const span = Math.max(1, Math.floor(batchMs.length / 10));
    const first = median(batchMs.slice(0, span));
    const last = median(batchMs.slice(-span));
    const binds = (span * 1_000).toLocaleString('en');
    return [
      row(`bindings-scale: last ${binds} of ${total.toLocaleString('en')} binds`, 'ms', last, first, { atMost: 2 }, `ms per 1,000 binds, median of the last ${span} batches; baseline: the first ${span}`),
      reported('bindings-scale: heap per binding, all sides', 'bytes', perBinding, gc ? 'client, gateway and service sides; reported, no target' : 'run with --expose-gc'),
      row('bindings-scale: heap per binding, gateway share', 'bytes', gatewayShare, 4096, { atMost: 1 }, `target 4 KiB; all sides minus a direct binding (${Math.round(direct)} bytes)`),
      row('bindings-scale: heap after closing all', 'bytes', heapAfter, heapBefore, { atMost: 1.1 }, 'baseline: heap before binding'),
    ];
  } finally {
    await Promise.all(links.map((link) => link.close()));
    await service.close();
    await gateway.close();
    await directory.close();
  }
}

interface Closable {
  close(): Promise<void>;
}

interface Bound {
  clients: Closable[];
  /** How long each batch of 1,000 binds took, in ms. */
  batchMs: number[];
}

/*
 * Binding and closing are functions of their own so that nothing they touch outlives them: a suspended async
 * function keeps the values of its temporaries, and a batch held that way in the measuring function kept the last
 * 1,000 closed clients (4.4 MB) in the "heap after closing all".
 */

/** Binds `total` clients in batches of 1,000, spread over `links`. */
async function bindAll(links: Connection[], total: number): Promise<Bound> {
  const bound: Bound = { clients: [], batchMs: [] };
  for (let done = 0; done < total; done += 1_000) {
    const started = process.hrtime.bigint();
    const batch = await Promise.all(Array.from({ length: 1_000 }, (_, i) => links[(done + i) % links.length]!.service('counter')));
    bound.batchMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    for (const client of batch) bound.clients.push(client);
  }
  return bound;
}

/**
 * Closes every client of `bound`, 1,000 at a time with a turn of the event loop between, and forgets them: closes
 * resolve without waiting for I/O, so 100,000 in a row held the event loop for ~12 s.
 */
async function closeAll(bound: Bound): Promise<void> {
  const { clients } = bound;
  bound.clients = [];
  for (let i = 0; i < clients.length; i += 1_000) {
    await Promise.all(clients.slice(i, i + 1_000).map((client) => client.close()));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Heap per binding of `connections × perConnection` bindings made straight to the service, then closed. */
async function bindDirect(url: string, connections: number, perConnection: number): Promise<number> {
  const links: Connection[] = [];
  for (let i = 0; i < connections; i++) links.push(await connect(url));
  try {
    const before = await settledHeap();
    let clients: Closable[] = [];
    for (let i = 0; i < connections; i++) clients = clients.concat(await Promise.all(Array.from({ length: perConnection }, () => links[i]!.service('counter'))));
    const bound = heap();
    await closeAll({ clients, batchMs: [] });
    return (bound - before) / (connections * perConnection);
  } finally {
    await Promise.all(links.map((link) => link.close()));
  }
}

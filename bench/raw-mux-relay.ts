/**
 * The raw reference of many-connections: a relay process that, like a gateway, forwards every client connection's
 * frames over one upstream connection to the echo process. No ids: the echo answers in order on that one socket,
 * so a FIFO of the writers that sent each frame routes every reply back. Same reader and per-tick coalescing
 * writer as raw-relay.ts, but for the upstream socket the same rule as a TCP link's (lib/transports/poll-phase-flush.ts):
 * its first write of an event-loop iteration on `nextTick`, the rest of the iteration's frames in one more write on
 * `setImmediate`, rather than a write after each client socket's read.
 */
import net from 'node:net';
import { CoalescingWriter, LengthPrefixedReader } from './raw-relay.js';

let iteration = 0;
let counting = false;

/** CoalescingWriter's queue, flushed as a TCP link flushes: a second flush in one iteration waits for the check phase. */
class PollPhaseWriter {
  private queue: Buffer[] = [];
  private scheduled = false;
  private lastIteration = -1;
  constructor(private readonly socket: net.Socket) {}
  write(frame: Buffer): void {
    this.queue.push(frame);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.lastIteration === iteration) {
      setImmediate(this.flush);
      return;
    }
    this.lastIteration = iteration;
    process.nextTick(this.flush);
    if (!counting) {
      counting = true;
      setImmediate(() => {
        iteration++;
        counting = false;
      });
    }
  }
  private readonly flush = (): void => {
    this.scheduled = false;
    const frames = this.queue;
    this.queue = [];
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  };
}

export async function startMuxRelay(upstreamPort: number): Promise<number> {
  const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
  upstream.setNoDelay(true);
  await new Promise((resolve) => upstream.once('connect', resolve));
  const toUpstream = new PollPhaseWriter(upstream);
  // The writer of the client connection each frame in flight upstream came from, oldest first.
  const senders: CoalescingWriter[] = [];
  let head = 0;
  const fromUpstream = new LengthPrefixedReader((f) => {
    senders[head++]!.write(f);
    if (head === senders.length) senders.length = head = 0;
  });
  upstream.on('data', (chunk: Buffer) => fromUpstream.push(chunk));
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const toClient = new CoalescingWriter(client);
    const fromClient = new LengthPrefixedReader((f) => {
      senders.push(toClient);
      toUpstream.write(f);
    });
    client.on('data', (chunk: Buffer) => fromClient.push(chunk));
    client.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/**
 * The raw reference of many-connections: a relay process that, like a gateway, forwards every client connection's
 * frames over one upstream connection to the echo process. No ids: the echo answers in order on that one socket,
 * so a FIFO of the writers that sent each frame routes every reply back. Same reader and per-tick coalescing
 * writer as raw-relay.ts.
 */
import net from 'node:net';
import { CoalescingWriter, LengthPrefixedReader } from './raw-relay.js';

export async function startMuxRelay(upstreamPort: number): Promise<number> {
  const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
  upstream.setNoDelay(true);
  await new Promise((resolve) => upstream.once('connect', resolve));
  const toUpstream = new CoalescingWriter(upstream);
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

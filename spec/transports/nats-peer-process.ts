/**
 * A peer in a process of its own for spec/transports/nats.spec.ts, so that it can be killed for real:
 * `tsx spec/transports/nats-peer-process.ts nats://127.0.0.1:PORT/SUBJECT` listens there, echoes every frame,
 * prints one JSON line once ready and runs until killed.
 */
import { NatsTransport } from '../../lib/transports/nats.js';

const [url] = process.argv.slice(2);
const listener = await new NatsTransport().listen(new URL(url!), (link) => link.onFrame((frame) => link.send(frame)));
console.log(JSON.stringify({ url: listener.url }));

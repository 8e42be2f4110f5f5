/**
 * One process of a benchmark topology, started by bench/processes.ts: `tsx bench/role.ts <role> [arg]`. It prints
 * one JSON line saying where it listens, and runs until its parent kills it.
 */
import { createGateway, createLibqiService, createService, createServiceDirectory, jetStreamDirectory, property, signal, withSignature } from './library.js';
import { echoImplementation } from '../spec/libqi/echo-impl.js';
import { startEchoServer, startRelay } from './raw-relay.js';
import { startMuxRelay } from './raw-mux-relay.js';
import { startWsEchoServer, startWsRelay } from './raw-ws-relay.js';
import { startRawNatsEcho } from './raw-nats-pair.js';

const [role, arg, port] = process.argv.slice(2);
// Killed by the bench when it is done: exit normally, so that a `--cpu-prof` profile gets written.
process.on('SIGTERM', () => process.exit(0));
const announce = (what: Record<string, unknown>): void => console.log(JSON.stringify(what));
/**
 * The heartbeat of the links these processes open and accept: a ping after each silent second, as by default, but
 * a link is dropped after 5 unanswered instead of 1. With 1, the peer has one second to answer a ping, and the bench
 * process pauses by design (forced collections before each measurement, up to ~1 s in the nats group): a ping that
 * fell in such a pause on a link idle during the baseline's measurement dropped the bench's link, and the nats
 * group failed with "write EPIPE" in 4 of 6 full runs over two days. Heartbeats cost the same either way (a timer per
 * link, a frame on a silent one); how a frozen peer is dropped is the specs' business (spec/session).
 */
const heartbeat = { intervalMs: 1_000, maxMissed: 5 };

switch (role) {
  case 'raw-echo':
    announce({ port: await startEchoServer() });
    break;
  case 'raw-relay':
    announce({ port: await startRelay(Number(arg)) });
    break;
  case 'raw-mux-relay':
    announce({ port: await startMuxRelay(Number(arg)) });
    break;
  case 'raw-ws-echo':
    announce({ port: await startWsEchoServer() });
    break;
  case 'raw-ws-relay':
    announce({ port: await startWsRelay(Number(arg)) });
    break;
  case 'raw-nats-echo':
    await startRawNatsEcho(arg!);
    announce({ subject: 'bench.raw.echo' });
    break;
  case 'services-echo': {
    // Loaded here only: the other roles need not load @nats-io/services.
    const { startServicesEcho, SERVICES_ECHO_SUBJECT } = await import('./nats-services-echo.js');
    await startServicesEcho(arg!);
    announce({ subject: SERVICES_ECHO_SUBJECT });
    break;
  }
  case 'service-nats': {
    // The directory and the echo service on nats:// subjects of the server `arg` (nats://127.0.0.1:PORT).
    const directory = await createServiceDirectory({ listen: [`${arg}/bench.directory`], heartbeat });
    const echo = await createService('echo', { echo: (value: unknown) => value }, { directory: directory.url, listen: [`${arg}/bench.echo`], heartbeat });
    announce({ directory: directory.url, service: echo.endpoints[0] });
    break;
  }
  case 'directory-kv': {
    // A directory instance on the JetStream KV bucket of the server `arg` (nats://127.0.0.1:PORT), on TCP.
    const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'], store: jetStreamDirectory({ servers: arg! }), heartbeat });
    announce({ directory: directory.url });
    break;
  }
  case 'service':
  case 'service-ws': {
    // The directory and the echo service, both on TCP (or both on ws://), in the service process.
    const at = role === 'service' ? 'tcp://127.0.0.1:0' : 'ws://127.0.0.1:0/';
    const directory = await createServiceDirectory({ listen: [at], heartbeat });
    const echo = await createService('echo', { echo: (value: unknown) => value }, { directory: directory.url, listen: [at], heartbeat });
    announce({ directory: directory.url, service: echo.endpoints[0] });
    break;
  }
  case 'gateway':
  case 'gateway-ws': {
    // A port may be given, so that a gateway can be started again where its clients knew it (the reconnect row).
    const at = role === 'gateway' ? `tcp://127.0.0.1:${port ?? 0}` : 'ws://127.0.0.1:0/';
    const gateway = await createGateway({ directory: arg!, listen: [at], heartbeat });
    announce({ gateway: gateway.url });
    break;
  }
  case 'libqi-echo': {
    // A qimessaging "Echo" (the kit's members and signatures) served to libqi, registered as `port` (a name here)
    // with the libqi ServiceDirectory `arg` (tcp://127.0.0.1:PORT, the kit's qi_sd).
    const service = await createLibqiService(port ?? 'Echo', echoImplementation({ withSignature, signal, property }), { directory: arg! });
    announce({ serviceId: service.serviceId, endpoint: service.endpoints[0] });
    break;
  }
  case 'gateway-libqi': {
    // A gateway bridging the libqi ServiceDirectory `arg` for qimessaging clients on TCP.
    const gateway = await createGateway({ libqiDirectory: arg!, listen: ['tcp://127.0.0.1:0'], heartbeat });
    announce({ gateway: gateway.url });
    break;
  }
  default:
    console.error(`unknown role ${role}`);
    process.exitCode = 1;
}

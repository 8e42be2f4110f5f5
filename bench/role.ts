/**
 * One process of a benchmark topology, started by bench/processes.ts: `tsx bench/role.ts <role> [arg]`. It prints
 * one JSON line saying where it listens, and runs until its parent kills it.
 */
import { createGateway, createService, createServiceDirectory } from './library.js';
import { startEchoServer, startRelay } from './raw-relay.js';

const [role, arg] = process.argv.slice(2);
// Killed by the bench when it is done: exit normally, so that a `--cpu-prof` profile gets written.
process.on('SIGTERM', () => process.exit(0));
const announce = (what: Record<string, unknown>): void => console.log(JSON.stringify(what));

switch (role) {
  case 'raw-echo':
    announce({ port: await startEchoServer() });
    break;
  case 'raw-relay':
    announce({ port: await startRelay(Number(arg)) });
    break;
  case 'service': {
    // The directory and the echo service, both on TCP, in the service process.
    const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'] });
    const echo = await createService('echo', { echo: (value: unknown) => value }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    announce({ directory: directory.url, service: echo.endpoints[0] });
    break;
  }
  case 'gateway': {
    const gateway = await createGateway({ directory: arg!, listen: ['tcp://127.0.0.1:0'] });
    announce({ gateway: gateway.url });
    break;
  }
  default:
    console.error(`unknown role ${role}`);
    process.exitCode = 1;
}

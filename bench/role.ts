/**
 * One process of a benchmark topology, started by bench/run.ts: `tsx bench/role.ts <role> [arg]`. It prints one
 * line, the URL or port it listens on, and runs until its parent kills it.
 */
import { createGateway, createService, createServiceDirectory } from '../lib/index.js';
import { startEchoServer, startRelay } from './raw-relay.js';

const [role, arg] = process.argv.slice(2);

switch (role) {
  case 'raw-echo':
    console.log(await startEchoServer());
    break;
  case 'raw-relay':
    console.log(await startRelay(Number(arg)));
    break;
  case 'service': {
    // The directory and the echo service, both on TCP, in the service process.
    const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'] });
    await createService('echo', { echo: (value: unknown) => value }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'] });
    console.log(directory.url);
    break;
  }
  case 'gateway': {
    const gateway = await createGateway({ directory: arg!, listen: ['tcp://127.0.0.1:0'] });
    console.log(gateway.url);
    break;
  }
  default:
    console.error(`unknown role ${role}`);
    process.exitCode = 1;
}

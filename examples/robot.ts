/**
 * The robot side, as one process: a ServiceDirectory, a Gateway listening for clients, and the services `echo`
 * and `calc`. The directory and the services listen on private memory:// endpoints: the gateway reaches them
 * in-process, and only the gateway is exposed.
 *
 *   npm run robot -- --listen tcp://127.0.0.1:9559
 *
 * Prints one line when ready, and shuts down cleanly on SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createGateway, createService, createServiceDirectory } from '../lib/index.js';
import { calcService, echoService } from './services.js';

const { values } = parseArgs({ options: { listen: { type: 'string', default: 'tcp://127.0.0.1:9559' } } });

try {
  const directory = await createServiceDirectory({ listen: ['memory://'] });
  const services = [
    await createService('echo', echoService, { directory: directory.url }),
    await createService('calc', calcService, { directory: directory.url }),
  ];
  const gateway = await createGateway({ directory: directory.url, listen: [values.listen] });
  console.log(`robot ready: gateway listening on ${gateway.url} (services: ${services.map((s) => s.name).join(', ')})`);

  const shutDown = async (): Promise<void> => {
    await gateway.close();
    await Promise.all(services.map((service) => service.close()));
    await directory.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutDown());
} catch (err) {
  console.error(`robot failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

/**
 * One process of the failure specs' topology (spec/e2e/process-failures.spec.ts), started as a child so that it
 * can be killed or frozen for real: `tsx spec/e2e/robot-process.ts <role> [args]`. It prints one JSON line once
 * ready and runs until killed.
 *   service                      a ServiceDirectory and a `calc` service (add, hang), both on TCP
 *   gateway <directory> <port>   a Gateway on tcp://127.0.0.1:<port>
 */
import { createGateway, createService, createServiceDirectory } from '../../lib/index.js';

const [role, ...args] = process.argv.slice(2);
const announce = (what: Record<string, unknown>): void => console.log(JSON.stringify(what));
const fast = { initialDelayMs: 50, maxDelayMs: 500 };

if (role === 'service') {
  const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'] });
  const calc = { add: (a: number, b: number) => a + b, hang: () => new Promise<never>(() => {}) };
  const service = await createService('calc', calc, { directory: directory.url, listen: ['tcp://127.0.0.1:0'], reconnect: fast });
  announce({ directory: directory.url, service: service.endpoints[0] });
} else if (role === 'gateway') {
  const [directory, port] = args;
  const gateway = await createGateway({ directory: directory!, listen: [`tcp://127.0.0.1:${port}`], reconnect: fast });
  announce({ gateway: gateway.url });
} else {
  console.error(`unknown role ${role}`);
  process.exit(1);
}

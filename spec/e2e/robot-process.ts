/**
 * One process of the failure specs' topology (spec/e2e/process-failures.spec.ts), started as a child so that it
 * can be killed or frozen for real: `tsx spec/e2e/robot-process.ts <role> [args]`. It prints one JSON line once
 * ready and runs until killed.
 *   service                      a ServiceDirectory and the services `calc` (add, hang) and `bulk` (64 KiB replies)
 *   gateway <directory> <port>   a Gateway on tcp://127.0.0.1:<port>
 *   slow-client <gateway>        a client of `bulk` that keeps calling and never reads its socket
 */
import { connect, createGateway, createService, createServiceDirectory } from '../../lib/index.js';

const [role, ...args] = process.argv.slice(2);
const announce = (what: Record<string, unknown>): void => console.log(JSON.stringify(what));
const fast = { initialDelayMs: 50, maxDelayMs: 500 };

if (role === 'service') {
  const directory = await createServiceDirectory({ listen: ['tcp://127.0.0.1:0'] });
  const calc = { add: (a: number, b: number) => a + b, hang: () => new Promise<never>(() => {}) };
  const service = await createService('calc', calc, { directory: directory.url, listen: ['tcp://127.0.0.1:0'], reconnect: fast });
  const chunk = Buffer.alloc(64 * 1024, 7);
  await createService('bulk', { chunk: () => chunk, small: () => 'ok' }, { directory: directory.url, listen: ['tcp://127.0.0.1:0'], reconnect: fast });
  announce({ directory: directory.url, service: service.endpoints[0] });
} else if (role === 'gateway') {
  const [directory, port] = args;
  const gateway = await createGateway({ directory: directory!, listen: [`tcp://127.0.0.1:${port}`], reconnect: fast });
  announce({ gateway: gateway.url });
} else if (role === 'slow-client') {
  const connection = await connect(args[0]!, { heartbeat: false, reconnect: false });
  const bulk = await connection.service('bulk');
  // Stop reading the socket, then keep asking for 64 KiB replies, as a consumer that has hung would.
  connection.actor.getSnapshot().context.session.pause();
  announce({ slow: true });
  for (;;) {
    for (let i = 0; i < 100; i++) void bulk.call('chunk').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
} else {
  console.error(`unknown role ${role}`);
  process.exit(1);
}

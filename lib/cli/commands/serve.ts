/**
 * `qi serve --listen URL…`: the robot side in one command: a ServiceDirectory on a private memory:// endpoint,
 * a Gateway listening for clients, and with `--demo` the services echo and calc. Prints one line once ready
 * (`qi serve: listening on URL…`) and stops cleanly on SIGINT or SIGTERM.
 */
import { readFileSync } from 'node:fs';
import {
  createGateway,
  createService,
  createServiceDirectory,
  defaultTransports,
  TlsTransport,
  tokenAuthenticator,
  WebSocketTransport,
  type GatewayOptions,
  type Service,
  type TokenUser,
} from '../../index.js';
import { listOption, noMoreArguments, stringOption, type OptionValues } from '../arguments.js';
import type { Command } from '../command.js';
import { calcService, echoService } from '../demo-services.js';
import { aborted } from '../interrupt.js';
import { UsageError } from '../usage-error.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run a ServiceDirectory and a Gateway (and the demo services)',
  help: `Usage: qi serve [--listen URL]… [--demo] [--cert FILE --key FILE] [--allow USER:TOKEN]…

Runs a ServiceDirectory (in-process only) and a Gateway listening on each URL (default tcp://127.0.0.1:9559;
port 0 picks a free one). Prints "qi serve: listening on URL…" once ready, and stops cleanly on Ctrl-C or
SIGTERM (exit 0).

  --listen URL         tcp://host:port, tls://host:port, ws://host:port/path, wss://…; repeatable
  --demo               also serve echo (echo, fail) and calc (add, divide)
  --cert FILE, --key FILE   the gateway's certificate and key (PEM), for tls:// and wss:// listeners
  --allow USER:TOKEN   let in only clients presenting one of these user/token pairs; repeatable
                       (also from $QI_ALLOW, comma-separated)`,
  connects: false,
  options: {
    listen: { type: 'string', multiple: true },
    demo: { type: 'boolean' },
    cert: { type: 'string' },
    key: { type: 'string' },
    allow: { type: 'string', multiple: true },
  },
  async run(values, positionals, context) {
    noMoreArguments(positionals, 0, 'serve');
    const listen = listOption(values, 'listen');
    const gatewayOptions: GatewayOptions = { directory: 'memory://', listen: listen.length > 0 ? listen : ['tcp://127.0.0.1:9559'], ...security(values, context.env) };
    const directory = await createServiceDirectory({ listen: ['memory://'] });
    const services: Service[] = [];
    try {
      if (values.demo) {
        services.push(await createService('echo', echoService, { directory: directory.url }));
        services.push(await createService('calc', calcService, { directory: directory.url }));
      }
      const gateway = await createGateway({ ...gatewayOptions, directory: directory.url });
      try {
        const demo = services.length > 0 ? ` (services: ${services.map((s) => s.name).join(', ')})` : '';
        context.output.line(`qi serve: listening on ${gateway.endpoints.join(' ')}${demo}`);
        await aborted(context.interrupt);
        context.output.note(`stopping (${String(context.interrupt.reason)})`);
      } finally {
        await gateway.close();
      }
    } finally {
      await Promise.all(services.map((service) => service.close()));
      await directory.close();
    }
    return 0;
  },
};

/** The transports and authenticator the security options ask for. */
function security(values: OptionValues, env: NodeJS.ProcessEnv): Partial<GatewayOptions> {
  const options: Partial<GatewayOptions> = {};
  const cert = stringOption(values, 'cert');
  const key = stringOption(values, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together', 'serve');
  if (cert !== undefined && key !== undefined) {
    const read = (path: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (err) {
        throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'serve');
      }
    };
    const pem = { cert: read(cert), key: read(key) };
    options.transports = defaultTransports()
      .register(new TlsTransport(pem))
      .register(new WebSocketTransport({ scheme: 'wss', tls: pem }));
  }
  const allowed = [...listOption(values, 'allow'), ...(env.QI_ALLOW ? env.QI_ALLOW.split(',') : [])];
  if (allowed.length > 0) {
    const users: Record<string, TokenUser> = {};
    for (const pair of allowed) {
      const colon = pair.indexOf(':');
      if (colon <= 0 || colon === pair.length - 1) throw new UsageError(`--allow expects USER:TOKEN, got '${pair}'`, 'serve');
      users[pair.slice(0, colon)] = { token: pair.slice(colon + 1) };
    }
    options.authenticate = tokenAuthenticator(users);
  }
  return options;
}

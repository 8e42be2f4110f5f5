/**
 * `qi call SERVICE.METHOD ARG…` and `qi post SERVICE.METHOD ARG…`: one call (or one-way call) with arguments
 * from the command line. Ctrl-C during a call cancels it at the service (a Cancel goes out) before qi exits. A
 * method that returns an object (a robot's, through a libqi bridge) prints the object's name and meta-object.
 */
import { CanceledError, ServiceClient } from '../../index.js';
import { integerOption, parseTarget, parseValue } from '../arguments.js';
import type { Command } from '../command.js';
import { pretty } from '../output.js';
import { withConnection } from '../session.js';
import { ExitCode } from '../exit-codes.js';

const ARGUMENTS_HELP = `Each ARG is JSON (42, true, null, "two words", [1,2], {"x":1}); a word that is not JSON is a string, so
\`qi call echo.echo hello\` passes "hello". Put -- before arguments that start with a dash, other than numbers.`;

export const callCommand: Command = {
  name: 'call',
  summary: 'call a method and print its result',
  help: `Usage: qi call SERVICE.METHOD [ARG…] [--json] [--timeout MS] [connection options]

Calls METHOD of SERVICE and prints what it returns: a string as itself, anything else as indented JSON, nothing
for no value, an object (a robot's, through a libqi bridge) as { object, metaObject }, released. A failure prints its code and message on stderr and exits with the status of its class (see
qi --help). Ctrl-C cancels the call at the service and exits with 130.
${ARGUMENTS_HELP}

  --json         print the result as one line of JSON (a string in quotes, no value as null)
  --timeout MS   give up after MS ms (Timeout, exit 5); the call is canceled at the service`,
  connects: true,
  options: { json: { type: 'boolean' }, timeout: { type: 'string' } },
  run(values, positionals, context) {
    const { service, member } = parseTarget(positionals[0], 'call', 'SERVICE.METHOD');
    const args = positionals.slice(1).map(parseValue);
    const timeout = integerOption(values, 'timeout', 'call');
    return withConnection(values, context, 'call', async (conn) => {
      const client = await conn.service(service);
      // An interrupt aborts the call: the client sends Cancel and rejects with CanceledError at once.
      let result = await client.with({ signal: context.interrupt, ...(timeout !== undefined ? { timeout } : {}) }).call(member, ...args);
      if (result instanceof ServiceClient) {
        // An object (through a libqi bridge): what it is, as `qi info` would say; released at once, as qi exits.
        const object: ServiceClient = result;
        result = { object: object.name, metaObject: object.metaObject };
        await object.close();
      }
      if (values.json) context.output.json(result ?? null);
      else {
        const text = pretty(result);
        if (text !== undefined) context.output.line(text);
      }
      return ExitCode.ok;
    }).catch((err: unknown) => {
      if (err instanceof CanceledError && context.interrupt.aborted) throw new CanceledError(`interrupted: ${service}.${member} was canceled`);
      throw err;
    });
  },
};

export const postCommand: Command = {
  name: 'post',
  summary: 'send a one-way call (no answer)',
  help: `Usage: qi post SERVICE.METHOD [ARG…] [connection options]

Sends a one-way call: the service runs METHOD, nothing comes back, not even an error it throws. qi checks that
SERVICE has METHOD (exit 3 otherwise) and exits 0 once the call is sent.
${ARGUMENTS_HELP}`,
  connects: true,
  options: {},
  run(values, positionals, context) {
    const { service, member } = parseTarget(positionals[0], 'post', 'SERVICE.METHOD');
    const args = positionals.slice(1).map(parseValue);
    return withConnection(values, context, 'post', async (conn) => {
      const client = await conn.service(service);
      client.post(member, ...args);
      // A round trip on the same link after the post: once it is answered, the post has been read by the gateway.
      await conn.services().catch(() => undefined);
      return ExitCode.ok;
    });
  },
};

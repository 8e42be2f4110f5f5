/** `qi get SERVICE.PROPERTY` and `qi set SERVICE.PROPERTY VALUE`. */
import { noMoreArguments, parseTarget, parseValue } from '../arguments.js';
import type { Command } from '../command.js';
import { pretty } from '../output.js';
import { UsageError } from '../usage-error.js';
import { withConnection } from '../session.js';

export const getCommand: Command = {
  name: 'get',
  summary: "print a property's value",
  help: `Usage: qi get SERVICE.PROPERTY [--json] [connection options]

Prints the current value of PROPERTY: a string as itself, anything else as indented JSON.

  --json   one line of JSON`,
  connects: true,
  options: { json: { type: 'boolean' } },
  run(values, positionals, context) {
    const { service, member } = parseTarget(positionals[0], 'get', 'SERVICE.PROPERTY');
    noMoreArguments(positionals, 1, 'get');
    return withConnection(values, context, 'get', async (conn) => {
      const value = await (await conn.service(service)).property(member).get();
      if (values.json) context.output.json(value ?? null);
      else context.output.line(pretty(value) ?? 'undefined');
      return 0;
    });
  },
};

export const setCommand: Command = {
  name: 'set',
  summary: 'set a property',
  help: `Usage: qi set SERVICE.PROPERTY VALUE [connection options]

Sets PROPERTY to VALUE (JSON, or a word that is not JSON as a string). A read-only property, or a value the
service refuses, is BadArguments (exit 4); the value is then unchanged.`,
  connects: true,
  options: {},
  run(values, positionals, context) {
    const { service, member } = parseTarget(positionals[0], 'set', 'SERVICE.PROPERTY');
    if (positionals[1] === undefined) throw new UsageError('expected a VALUE', 'set');
    noMoreArguments(positionals, 2, 'set');
    const value = parseValue(positionals[1]);
    return withConnection(values, context, 'set', async (conn) => {
      await (await conn.service(service)).property(member).set(value);
      return 0;
    });
  },
};

/** `qi services`: what the directory has registered, one service a line. */
import { noMoreArguments } from '../arguments.js';
import type { Command } from '../command.js';
import { pad } from '../table.js';
import { withConnection } from '../session.js';

export const servicesCommand: Command = {
  name: 'services',
  summary: 'list the registered services',
  help: `Usage: qi services [--json] [connection options]

Lists every service registered in the directory, the directory itself included: name, id and endpoints, one
service a line, sorted by id. --json prints one JSON array of { id, name, endpoints }.

  --json   JSON for scripts`,
  connects: true,
  options: { json: { type: 'boolean' } },
  run: (values, positionals, context) => {
    noMoreArguments(positionals, 0, 'services');
    return withConnection(values, context, 'services', async (conn) => {
      const services = (await conn.services()).sort((a, b) => a.id - b.id);
      const { output } = context;
      if (values.json) {
        output.json(services);
        return 0;
      }
      const width = Math.max(4, ...services.map((s) => s.name.length));
      for (const { id, name, endpoints } of services) {
        output.line(`${output.out.bold(pad(name, width))}  ${pad(String(id), 4)}  ${output.out.dim(endpoints.join(' '))}`);
      }
      return 0;
    });
  },
};

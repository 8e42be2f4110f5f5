/**
 * `qi watch SERVICE.SIGNAL…` / `qi watch SERVICE`: signal emissions and property changes as they come, one a line
 * with a timestamp, until Ctrl-C or `--count N`. It reconnects after a lost link (saying so on stderr), and waits
 * for a service that goes away to come back; its clients subscribe again by themselves.
 */
import type { Connection, ServiceClient } from '../../index.js';
import { integerOption } from '../arguments.js';
import type { Command, CommandContext } from '../command.js';
import { aborted } from '../interrupt.js';
import { toJson } from '../output.js';
import { UsageError } from '../usage-error.js';
import { reportRebinds, withConnection } from '../session.js';

interface Watched {
  service: string;
  member: string;
  kind: 'signal' | 'property';
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'print signals and property changes as they come',
  help: `Usage: qi watch SERVICE.SIGNAL… | SERVICE… [--count N] [--json] [connection options]

Prints each emission of the signals named (SERVICE.SIGNAL: a signal or a property), or of every signal and
property of SERVICE, one a line: the time, SERVICE.MEMBER, and the arguments (a signal) or "= value" (a
property). Runs until Ctrl-C (exit 0) or N events. A lost link is reported on stderr and reconnected; a service
that goes away is waited for.

  --count N   stop after N events
  --json      one JSON object a line: { time, service, member, kind: "signal" | "property", args | value }`,
  connects: true,
  options: { count: { type: 'string' }, json: { type: 'boolean' } },
  run(values, positionals, context) {
    if (positionals.length === 0) throw new UsageError('expected SERVICE.SIGNAL or SERVICE', 'watch');
    const count = integerOption(values, 'count', 'watch');
    return withConnection(values, context, 'watch', (conn) => watch(conn, positionals, count, values.json === true, context), true);
  },
};

async function watch(conn: Connection, targets: string[], count: number | undefined, json: boolean, context: CommandContext): Promise<number> {
  const { output } = context;
  const clients = new Map<string, ServiceClient>();
  const stops: Array<() => void> = [];
  let seen = 0;
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  const print = (watched: Watched, payload: unknown[]): void => {
    if (count !== undefined && seen >= count) return;
    seen++;
    const time = new Date().toISOString();
    if (json) {
      const data = watched.kind === 'property' ? { value: payload[0] } : { args: payload };
      output.json({ time, service: watched.service, member: watched.member, kind: watched.kind, ...data });
    } else {
      const what = watched.kind === 'property' ? `= ${toJson(payload[0])}` : toJson(payload);
      output.line(`${output.out.dim(time)} ${output.out.cyan(`${watched.service}.${watched.member}`)} ${what}`);
    }
    if (count !== undefined && seen >= count) done();
  };
  try {
    for (const target of targets) {
      const dot = target.lastIndexOf('.');
      const service = dot > 0 ? target.slice(0, dot) : target;
      let client = clients.get(service);
      if (!client) {
        client = await conn.service(service, { whenServiceGone: 'wait' });
        clients.set(service, client);
        stops.push(reportRebinds(client, output));
      }
      const meta = client.metaObject;
      const members: Watched[] =
        dot > 0
          ? [{ service, member: target.slice(dot + 1), kind: meta.properties.some((p) => p.name === target.slice(dot + 1)) ? 'property' : 'signal' }]
          : [...meta.signals.map((s) => ({ service, member: s.name, kind: 'signal' as const })), ...meta.properties.map((p) => ({ service, member: p.name, kind: 'property' as const }))];
      if (dot <= 0 && members.length === 0) output.note(`${service} has no signal or property`);
      for (const watched of members) await client.on(watched.member, (...args: unknown[]) => print(watched, args));
    }
    if (count === 0) return 0;
    const ended = Promise.race([conn.closed, ...[...clients.values()].map((c) => c.closed)]);
    const outcome = await Promise.race([enough.then(() => undefined), aborted(context.interrupt).then(() => undefined), ended]);
    if (outcome !== undefined) throw outcome;
    return 0;
  } finally {
    for (const stop of stops) stop();
  }
}

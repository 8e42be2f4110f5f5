/** `qi info SERVICE [MEMBER]`: a service's meta-object as a person reads it, properties with their values. */
import { NoSuchMemberError, type MetaObject } from '../../index.js';
import { noMoreArguments } from '../arguments.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { pretty, toJson } from '../output.js';
import { pad } from '../table.js';
import { withConnection } from '../session.js';

interface Described {
  name: string;
  methods: MetaObject['methods'];
  signals: MetaObject['signals'];
  properties: Array<MetaObject['properties'][number] & { value: unknown }>;
}

export const infoCommand: Command = {
  name: 'info',
  summary: "show a service's methods, signals and properties",
  help: `Usage: qi info SERVICE [MEMBER] [--json] [connection options]

Shows what SERVICE offers: its methods with their member id and arity (how many arguments a call takes), its
signals, and its properties with their current values and whether they are read-only. With MEMBER, that member
only (exit 3 if there is none). --json prints { name, methods, signals, properties } (properties with "value").

  --json   JSON for scripts`,
  connects: true,
  options: { json: { type: 'boolean' } },
  run(values, positionals, context) {
    const [service, member] = positionals;
    if (service === undefined) throw new UsageError('expected SERVICE', 'info');
    noMoreArguments(positionals, 2, 'info');
    return withConnection(values, context, 'info', async (conn) => {
      const client = await conn.service(service);
      const meta = client.metaObject;
      const keep = <T extends { name: string }>(members: readonly T[]): T[] => members.filter((m) => member === undefined || m.name === member);
      const described: Described = {
        name: meta.name,
        methods: keep(meta.methods),
        signals: keep(meta.signals),
        properties: await Promise.all(keep(meta.properties).map(async (p) => ({ ...p, value: await client.property(p.name).get() }))),
      };
      if (member !== undefined && described.methods.length + described.signals.length + described.properties.length === 0) {
        throw new NoSuchMemberError(`${service} has no method, signal or property named '${member}'`);
      }
      print(described, values.json === true, context.output);
      return 0;
    });
  },
};

function print(described: Described, json: boolean, output: import('../output.js').Output): void {
  if (json) {
    output.json(described);
    return;
  }
  const { bold, dim, cyan } = output.out;
  const width = Math.max(4, ...[...described.methods, ...described.signals, ...described.properties].map((m) => m.name.length));
  output.line(bold(described.name));
  const section = (title: string, lines: string[]): void => {
    if (lines.length === 0) return;
    output.line(`  ${dim(title)}`);
    for (const line of lines) output.line(`    ${line}`);
  };
  section(
    'methods',
    described.methods.map((m) => `${dim(pad(String(m.id), 4))} ${cyan(pad(m.name, width))}  ${m.arity} argument${m.arity === 1 ? '' : 's'}`),
  );
  section('signals', described.signals.map((s) => `${dim(pad(String(s.id), 4))} ${cyan(s.name)}`));
  section(
    'properties',
    described.properties.map((p) => {
      const value = typeof p.value === 'string' ? toJson(p.value) : (pretty(p.value) ?? 'undefined').replace(/\n\s*/g, ' ');
      return `${dim(pad(String(p.id), 4))} ${cyan(pad(p.name, width))}  ${value}${p.readOnly ? dim('  (read-only)') : ''}`;
    }),
  );
}

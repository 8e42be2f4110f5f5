/**
 * `qi top`: calls per second and p50/p99 latency per service through a gateway, once a second, as the gateway
 * measures them while someone watches (its GatewayMonitor's `load`). Redrawn in place on a terminal; one line
 * per service per second otherwise, for logs and scripts.
 */
import type { Connection, ServiceLoad } from '../../index.js';
import { integerOption, noMoreArguments } from '../arguments.js';
import type { Command, CommandContext } from '../command.js';
import { milliseconds, pad, padStart } from '../table.js';
import { withConnection } from '../session.js';

export const topCommand: Command = {
  name: 'top',
  summary: 'calls/s and p50/p99 latency per service through the gateway',
  help: `Usage: qi top [--count N] [--json] [connection options]

Every second, for every service through the gateway: calls answered per second, errors, and the p50 and p99
latency the gateway saw. On a terminal the table is redrawn in place; otherwise each second prints one line per
service that had calls: time, service, calls/s, errors, p50, p99. The gateway measures only while someone
watches. Runs until Ctrl-C (exit 0) or N intervals.

  --count N   stop after N intervals
  --json      one JSON array a line per interval: [{ service, calls, errors, callsPerSecond, p50Ms, p99Ms }]`,
  connects: true,
  options: { count: { type: 'string' }, json: { type: 'boolean' } },
  run(values, positionals, context) {
    noMoreArguments(positionals, 0, 'top');
    const count = integerOption(values, 'count', 'top');
    return withConnection(values, context, 'top', (conn) => top(conn, count, values.json === true, context), true);
  },
};

async function top(conn: Connection, count: number | undefined, json: boolean, context: CommandContext): Promise<number> {
  if (count === 0) return 0;
  const { output } = context;
  const loads = conn.load({ signal: context.interrupt });
  // Every service the directory knows, so that idle ones show as idle on the terminal.
  const known = new Set((await conn.services()).map((s) => s.name));
  let intervals = 0;
  for await (const rows of loads) {
    if (json) output.json(rows);
    else if (output.isTerminal) redraw(rows, known, conn.url, context);
    else for (const row of rows) output.line(plainLine(row));
    if (++intervals === count) break;
  }
  return 0;
}

function plainLine(row: ServiceLoad): string {
  return [new Date().toISOString(), row.service, `${row.callsPerSecond.toFixed(1)}/s`, `errors=${row.errors}`, `p50=${milliseconds(row.p50Ms)}`, `p99=${milliseconds(row.p99Ms)}`].join(' ');
}

function redraw(rows: ServiceLoad[], known: Set<string>, url: string, { output }: CommandContext): void {
  for (const row of rows) known.add(row.service);
  const byName = new Map(rows.map((row) => [row.service, row]));
  const width = Math.max(7, ...[...known].map((name) => name.length));
  const { bold, dim } = output.out;
  const lines = [
    `${bold('qi top')} ${dim(url)} ${dim(new Date().toLocaleTimeString())}`,
    '',
    bold(`${pad('SERVICE', width)}  ${padStart('CALLS/S', 9)}  ${padStart('ERRORS', 6)}  ${padStart('P50', 9)}  ${padStart('P99', 9)}`),
    ...[...known].sort().map((name) => {
      const row = byName.get(name);
      const line = `${pad(name, width)}  ${padStart((row?.callsPerSecond ?? 0).toFixed(1), 9)}  ${padStart(String(row?.errors ?? 0), 6)}  ${padStart(milliseconds(row?.p50Ms), 9)}  ${padStart(milliseconds(row?.p99Ms), 9)}`;
      return row ? line : dim(line);
    }),
  ];
  // Home, clear to the end of the screen, then the table.
  output.write(`\x1b[H\x1b[J${lines.join('\n')}\n`);
}

/**
 * `qi trace SERVICE`: the calls of one service through the gateway, live, as the gateway sees them (its
 * GatewayMonitor service; see docs/PROTOCOL.md §8): each call, then its reply, error or cancel with its latency.
 */
import type { TraceEvent } from '../../index.js';
import { integerOption, noMoreArguments } from '../arguments.js';
import type { Command, CommandContext } from '../command.js';
import type { Output } from '../output.js';
import { milliseconds, pad } from '../table.js';
import { UsageError } from '../usage-error.js';
import { withConnection } from '../session.js';

export const traceCommand: Command = {
  name: 'trace',
  summary: "follow one service's calls, replies and errors through the gateway",
  help: `Usage: qi trace SERVICE [--count N] [--json] [connection options]

Prints each call of SERVICE through the gateway as it happens, then its answer: the time, the client's link,
call/reply/error/canceled/post, SERVICE.METHOD, the call id, and for an answer the latency the gateway saw (and an
error's code and message). Every client of the gateway is traced, not only this one. The gateway traces only while
someone does. Runs until Ctrl-C (exit 0) or N events; a lost link is reported on stderr and reconnected.

  --count N   stop after N events
  --json      one JSON object a line: { time (ms since the epoch), kind, service, method, id, client, latencyMs?, error? }`,
  connects: true,
  options: { count: { type: 'string' }, json: { type: 'boolean' } },
  run(values, positionals, context) {
    const [service] = positionals;
    if (service === undefined) throw new UsageError('expected SERVICE', 'trace');
    noMoreArguments(positionals, 1, 'trace');
    const count = integerOption(values, 'count', 'trace');
    return withConnection(values, context, 'trace', (conn) => follow(conn.trace(service, { signal: context.interrupt }), count, values.json === true, context), true);
  },
};

async function follow(events: AsyncGenerator<TraceEvent, void, undefined>, count: number | undefined, json: boolean, context: CommandContext): Promise<number> {
  if (count === 0) return 0;
  let seen = 0;
  for await (const event of events) {
    if (json) context.output.json(event);
    else context.output.line(describe(event, context.output));
    if (++seen === count) break;
  }
  return 0;
}

function describe(event: TraceEvent, output: Output): string {
  const { dim, cyan, red, green, yellow } = output.out;
  const time = new Date(event.time).toISOString().slice(11, 23);
  const paint = event.kind === 'error' ? red : event.kind === 'reply' ? green : event.kind === 'canceled' ? yellow : (text: string) => text;
  const parts = [dim(time), dim(pad(event.client, 8)), paint(pad(event.kind, 8)), cyan(`${event.service}.${event.method}`), dim(`#${event.id}`)];
  if (event.latencyMs !== undefined) parts.push(milliseconds(event.latencyMs));
  if (event.error) parts.push(red(`${event.error.code}: ${event.error.message}`));
  return parts.join(' ');
}

/**
 * One command's connection: opened from the command line, closed whatever happens, and, for the commands that
 * last (watch, trace, top), its losses and recoveries told on stderr.
 */
import type { Connection, ServiceClient } from '../index.js';
import type { OptionValues } from './arguments.js';
import type { CommandContext } from './command.js';
import { open } from './connect-options.js';
import type { Output } from './output.js';

export async function withConnection<T>(
  values: OptionValues,
  context: CommandContext,
  command: string,
  work: (conn: Connection) => Promise<T>,
  lasting = false,
): Promise<T> {
  const conn = await open(values, context.env, command, lasting);
  const stopReporting = lasting ? reportReconnects(conn, context.output) : () => {};
  try {
    return await work(conn);
  } finally {
    stopReporting();
    await conn.close();
  }
}

/** Tells on stderr when the link is lost and when it is back. */
export function reportReconnects(conn: Connection, output: Output): () => void {
  return conn.onStatus((status) => {
    if (status.status === 'disconnected') output.note(`connection to ${conn.url} lost (${status.error.code}: ${status.error.message}); reconnecting`);
    else if (status.status === 'reconnecting' && status.attempt % 10 === 0) output.note(`still reconnecting (attempt ${status.attempt})`);
    else if (status.status === 'reconnected') output.note(`reconnected to ${conn.url}`);
  });
}

/** Tells on stderr when a lasting client loses its service and when it is bound again. */
export function reportRebinds(client: ServiceClient, output: Output): () => void {
  return client.onStatus((status) => {
    if (status.status === 'disconnected' && status.error.code === 'ServiceGone') output.note(`${client.name} is gone; waiting for it to come back`);
    else if (status.status === 'rebound') output.note(`${client.name} bound again`);
  });
}

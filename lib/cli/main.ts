/**
 * `qi`, the command-line tool (after libqi's qicli): finds the command, parses its options, runs it, and turns
 * what happened into an exit status and, for a failure, one line on stderr (`qi: Code: message`). Expected
 * failures (a usage error, any QiError) never print a stack trace; anything else is a bug and does.
 */
import { QiError } from '../protocol/errors.js';
import { CONNECT_HELP, CONNECT_OPTIONS, parseCommandLine } from './arguments.js';
import type { Command } from './command.js';
import { callCommand, postCommand } from './commands/call.js';
import { infoCommand } from './commands/info.js';
import { getCommand, setCommand } from './commands/property.js';
import { serveCommand } from './commands/serve.js';
import { servicesCommand } from './commands/services.js';
import { topCommand } from './commands/top.js';
import { traceCommand } from './commands/trace.js';
import { watchCommand } from './commands/watch.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { Output, type Streams } from './output.js';
import { pad } from './table.js';
import { UsageError } from './usage-error.js';

export const COMMANDS: readonly Command[] = [
  servicesCommand,
  infoCommand,
  callCommand,
  postCommand,
  getCommand,
  setCommand,
  watchCommand,
  traceCommand,
  topCommand,
  serveCommand,
];

const EXIT_HELP = `Exit status:
  0    done (watch, trace, top: also when stopped with Ctrl-C)
  1    the service threw (RemoteError), or another failure
  2    bad command line
  3    no such service or member (ServiceNotFound, NoSuchMember)
  4    the service refused the arguments or value (BadArguments)
  5    no answer in time (Timeout)
  6    unreachable or lost (TransportError, ConnectionLost, ServiceGone, DirectoryUnavailable, Closed)
  7    credentials refused (Unauthorized)
  8    a limit (LimitExceeded, PayloadTooLarge)
  9    the peer broke the protocol (ProtocolError)
  70   a bug in qi (the stack is printed)
  130  interrupted: Ctrl-C canceled the call at the service`;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: qi COMMAND [ARG…] [OPTION…]     (qi COMMAND --help for each)

Look at and poke the services of a qimessaging gateway.

Commands:
${COMMANDS.map((c) => `  ${pad(c.name, width)}  ${c.summary}`).join('\n')}

${CONNECT_HELP}

Colours only on a terminal, never with NO_COLOR set.

${EXIT_HELP}`;
}

function commandHelp(command: Command): string {
  return command.connects ? `${command.help}\n\n${CONNECT_HELP}` : command.help;
}

/** Runs one command line and resolves with the exit status. */
export async function main(argv: string[], streams: Streams, interrupt: AbortSignal): Promise<number> {
  const output = new Output(streams);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const about = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    output.line(about ? commandHelp(about) : mainHelp());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command '${name}'`);
    const { values, positionals } = parseCommandLine(command.name, rest, command.connects ? { ...CONNECT_OPTIONS, ...command.options } : command.options);
    if (values.help) {
      output.line(commandHelp(command));
      return ExitCode.ok;
    }
    return await command.run(values, positionals, { output, env: streams.env, interrupt });
  } catch (err) {
    const code = exitCodeFor(err);
    if (err instanceof UsageError) {
      output.error('usage', err.message);
      output.note(err.command ? `see qi ${err.command} --help` : 'see qi --help');
    } else if (err instanceof QiError) {
      output.error(err.code, err.message);
    } else {
      streams.stderr.write(`qi: internal error (a bug; please report it):\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    return code;
  }
}

/** What each `qi` command is: its name, its help, its options, and what it does. */
import type { OptionSpecs, OptionValues } from './arguments.js';
import type { Output } from './output.js';

export interface CommandContext {
  output: Output;
  env: NodeJS.ProcessEnv;
  /** Fires on the first SIGINT or SIGTERM (Ctrl-C): a command stops, cancelling what it started. */
  interrupt: AbortSignal;
}

export interface Command {
  name: string;
  /** One line for `qi --help`. */
  summary: string;
  /** `qi --help COMMAND`: usage line(s), then what it does and its own options. */
  help: string;
  /** Whether it takes the connection options (every command but serve). */
  connects: boolean;
  options: OptionSpecs;
  /** Runs the command and resolves with its exit status; throws UsageError or a QiError for the failures. */
  run(values: OptionValues, positionals: string[], context: CommandContext): Promise<number>;
}

/** A command line qi cannot run: printed with the command's usage, exit status 2, never a stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show, if known. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

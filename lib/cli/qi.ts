#!/usr/bin/env node
/** The `qi` executable (package.json `bin`): runs one command line, then exits with its status. */
import { interruptSignal } from './interrupt.js';
import { main } from './main.js';

const interrupt = interruptSignal((signal) => process.exit(signal === 'SIGINT' ? 130 : 143));
const status = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, interrupt.signal);
interrupt.dispose();
process.exitCode = status;
// Everything was closed; if a handle still lingers, do not let it keep a finished command alive.
setTimeout(() => process.exit(status), 1_000).unref();

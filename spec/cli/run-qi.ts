/** The `qi` command as a child process, for the CLI specs: run to the end, or started and read line by line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { within } from '../e2e/topology.js';

const QI = ['--import', 'tsx', 'lib/cli/qi.ts'];

export interface QiRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Env without the caller's QI_* and colours, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('QI_')));
  return { ...clean, NO_COLOR: '1', ...env };
}

export function startQi(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...QI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: environment(env) });
}

/** Runs `qi args…` to its end (killed after `ms`). */
export async function qi(args: string[], env: Record<string, string> = {}, ms = 20_000): Promise<QiRun> {
  const child = startQi(args, env);
  return finished(child, ms);
}

/** Resolves with what `child` printed and its exit code once it ends (killed after `ms`). */
export async function finished(child: ChildProcess, ms = 20_000): Promise<QiRun> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = (child.exitCode !== null ? [child.exitCode] : await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  // 'exit' can come before the last output is read.
  if (!child.stdout!.readableEnded) await once(child.stdout!, 'end').catch(() => undefined);
  if (!child.stderr!.readableEnded) await once(child.stderr!, 'end').catch(() => undefined);
  return { code, stdout, stderr };
}

/** The first line `child` prints on stdout. */
export async function firstLine(child: ChildProcess, ms = 20_000): Promise<string> {
  const [line] = (await within(once(createInterface({ input: child.stdout! }), 'line'), ms, 'a first line')) as [string];
  return line;
}

/** Stops a child that may still run, and waits for it. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Child processes of a benchmark topology (bench/role.ts and the like), each announcing itself with one JSON line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const children: ChildProcess[] = [];

/** Starts `bench/role.ts <role> [args]` and resolves with the JSON it prints once ready. */
export async function startRole<T = Record<string, string>>(role: string, ...args: string[]): Promise<T> {
  return startScript<T>('bench/role.ts', role, ...args);
}

/** Starts `tsx <script> [args]` (a path from the repository root) and resolves with the JSON it prints once ready. */
export async function startScript<T = Record<string, string>>(script: string, ...args: string[]): Promise<T> {
  return (await startWorker<T>(script, ...args)).ready;
}

/**
 * `startScript` with an IPC channel: resolves with the JSON the script prints once ready and the child, to send
 * it messages (`child.send`) and read its answers (`child.on('message')`).
 */
export async function startWorker<T = Record<string, string>>(script: string, ...args: string[]): Promise<{ ready: T; child: ChildProcess }> {
  // BENCH_CPU_PROF_DIR=dir profiles every child process (node --cpu-prof); bench/tools/profile-summary.mjs reads them.
  // BENCH_CPU_PROF_INTERVAL=µs samples more often than node's default 1,000 µs.
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const interval = process.env.BENCH_CPU_PROF_INTERVAL;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...(interval ? [`--cpu-prof-interval=${interval}`] : [])] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { ready: JSON.parse(line) as T, child };
}

/**
 * Counts a child started elsewhere (the libqi kit's programs, spec/libqi/peer.ts) as one of the bench's: its CPU
 * time is the bench's, not another process's (bench/load.ts), and `stopAll` kills it if its starter did not.
 */
export function adopt(child: ChildProcess): void {
  children.push(child);
}

/** The process ids of the children still running (bench/load.ts counts their CPU time). */
export function childPids(): number[] {
  return children.flatMap((child) => (child.pid !== undefined && child.exitCode === null ? [child.pid] : []));
}

/** Stops one child by its PID: SIGTERM (role scripts exit on it), SIGKILL after 3 s; resolves once it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(killer);
}

/** How many children have been started so far: `stopStartedSince` stops the ones started after this mark. */
export function childMark(): number {
  return children.length;
}

/**
 * Stops the children started since `mark`, newest first. A scenario on a server of its own (nats-server) stops its
 * processes before the server: left running, they kept reconnecting to its port, and a later scenario's server
 * could be given that port, where they registered and answered on the same subjects as its own processes.
 */
export async function stopStartedSince(mark: number): Promise<void> {
  for (const child of children.slice(mark).reverse()) await stopChild(child);
}

export function stopAll(): void {
  for (const child of children.splice(0)) child.kill();
}

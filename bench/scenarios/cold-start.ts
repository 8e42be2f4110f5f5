/**
 * cold-start: connect + first bind + first call in a new process (bench/cold-start.mjs, which times itself from its
 * first line, library import included), against a raw TCP connect + one round trip in a new process. Ours connects
 * straight to the service process, the raw side to the raw echo process: one hop each. Paired: each measurement is
 * a fresh process, started in turn. Reported, no target.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { pairedBy, pairedRow, type Row } from '../measure.js';
import { startRole } from '../processes.js';

async function coldStart(mode: 'ours' | 'raw', where: string): Promise<{ ms: number; importMs: number; spawnMs: number }> {
  const spawned = performance.now();
  const child = spawn(process.execPath, ['bench/cold-start.mjs', mode, where], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const spawnMs = performance.now() - spawned;
  const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
  await exited;
  const { ms, importMs } = JSON.parse(line) as { ms: number; importMs: number };
  return { ms, importMs, spawnMs };
}

export async function coldStartRow(quick: boolean, pairs: number): Promise<Row[]> {
  const echo = await startRole<{ port: number }>('raw-echo');
  const { service } = await startRole<{ directory: string; service: string }>('service');
  const result = await pairedBy(
    () => coldStart('raw', String(echo.port)),
    () => coldStart('ours', service),
    quick ? Math.min(pairs, 3) : pairs,
  );
  const note = `in-process timing, of which the library import ${result.importMs.ours.toFixed(0)} ms; spawn to reply ${result.spawnMs.ours.toFixed(0)} vs ${result.spawnMs.baseline.toFixed(0)} ms; reported, no target`;
  return [pairedRow('cold-start', 'ms', result.ms, undefined, note)];
}

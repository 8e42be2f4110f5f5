/**
 * How busy the machine was, apart from the bench. The load average counts the bench's own processes too (a
 * via-gateway row keeps three busy on two cores, so the 1-minute load passes the core count on a quiet machine),
 * so the bench also counts the CPU time of everything else: the machine's busy time (/proc/stat) minus that of the
 * bench process, its children and its reaped children (/proc/<pid>/stat). Linux only; elsewhere `othersCores` is
 * undefined and only the load average is recorded.
 */
import { readFileSync } from 'node:fs';
import { childPids } from './processes.js';

/** USER_HZ: /proc counts CPU time in ticks of 10 ms on every Linux Node runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  at: number;
  machineTicks: number;
  benchTicks: number;
}

function machineBusyTicks(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal. Interrupt time is left out: the loopback traffic of the bench's
  // own sockets is processed in softirq context, charged to no process, and would count as someone else's.
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = fields;
  return user + nice + system + steal;
}

function processTicks(pid: number | 'self', withReaped: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // Fields 14–17 of proc(5): utime, stime, cutime, cstime; `fields` starts at field 3.
    const own = fields[11]! + fields[12]!;
    return withReaped ? own + fields[13]! + fields[14]! : own;
  } catch {
    return 0; // gone already: its time is in our cutime once reaped
  }
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const benchTicks = processTicks('self', true) + childPids().reduce((sum, pid) => sum + processTicks(pid, true), 0);
    return { at: performance.now(), machineTicks: machineBusyTicks(), benchTicks };
  } catch {
    return undefined;
  }
}

/** Cores kept busy on average between two snapshots: by the bench, and by everything else. */
export function cpuBetween(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): { benchCores: number; othersCores: number } | undefined {
  if (!a || !b || b.at <= a.at) return undefined;
  const seconds = (b.at - a.at) / 1000;
  const bench = (b.benchTicks - a.benchTicks) / TICKS_PER_SECOND / seconds;
  const all = (b.machineTicks - a.machineTicks) / TICKS_PER_SECOND / seconds;
  return { benchCores: bench, othersCores: Math.max(0, all - bench) };
}

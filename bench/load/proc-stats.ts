// Reading a process from /proc: CPU time (utime + stime, all threads, in clock ticks),
// resident memory (VmRSS) and its high-water mark (VmHWM), and the TCP connections it
// holds to given remote ports (socket inodes from /proc/<pid>/fd matched against
// /proc/net/tcp), which is how leaked upstream connections are counted. VmHWM can be
// reset between runs (clear_refs), which gives each run its own peak.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

function readClkTck(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // fall through
  }
  return 100;
}

/** Clock ticks per second (`getconf CLK_TCK`). */
export const CLK_TCK = readClkTck();

/** utime + stime of the whole process (every thread), in clock ticks; NaN if gone. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}

export function ticksToMicros(ticks: number): number {
  return (ticks * 1e6) / CLK_TCK;
}

export interface MemoryStatus {
  readonly rssMB: number;
  readonly hwmMB: number;
}

export function memoryStatus(pid: number): MemoryStatus {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
  } catch {
    return { rssMB: NaN, hwmMB: NaN };
  }
}

/**
 * Resets the process's VmHWM to its current RSS (`echo 5 > /proc/<pid>/clear_refs`), so
 * that the next reading is the peak of what ran since. False if the kernel refused.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * The high-water mark a process would show had it never been reset: resetting VmHWM per
 * run (for per-run peaks) must not lose the peak of a whole phase.
 */
export class PeakTracker {
  private readonly peaks = new Map<number, number>();

  /** Folds the current VmHWM of `pid` in (call before every reset and at the end). */
  note(pid: number): number {
    const peak = Math.max(this.peaks.get(pid) ?? 0, memoryStatus(pid).hwmMB || 0);
    this.peaks.set(pid, peak);
    return peak;
  }
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/** ESTABLISHED TCP connections of `pid` whose remote port is one of `remotePorts`. */
export function establishedTo(pid: number, remotePorts: readonly number[]): number {
  let inodes: Set<string>;
  try {
    inodes = socketInodes(pid);
  } catch {
    return 0;
  }
  const ports = new Set(remotePorts);
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const remotePort = parseInt((f[2] ?? '').split(':')[1] ?? '', 16);
      // State 01 is ESTABLISHED.
      if (f[3] === '01' && ports.has(remotePort) && inodes.has(f[9] ?? '')) count++;
    }
  }
  return count;
}

/** Busy clock ticks of the whole machine (all CPUs) from /proc/stat; NaN if unreadable. */
export function machineBusyTicks(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal. irq and softirq are left out: with
    // IRQ time accounting they are charged to no process, and most of them are this
    // benchmark's own loopback traffic. steal (other VMs) stays in.
    return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[7] ?? 0);
  } catch {
    return NaN;
  }
}

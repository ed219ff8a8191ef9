// The machine is shared: someone's `node --test` suite running next to a benchmark
// skews it. Same match as `pgrep -f 'node.*--test'`, read from /proc.
import { readdirSync, readFileSync } from 'node:fs';

const PATTERN = /node.*--test/;

export function testSuitePids(): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (PATTERN.test(cmd)) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Waits (bounded) until no test suite runs; resolves with whether the machine is quiet. */
export async function waitForQuiet(maxWaitMs: number, log: (msg: string) => void): Promise<boolean> {
  const deadline = Date.now() + maxWaitMs;
  let announced = false;
  for (;;) {
    const pids = testSuitePids();
    if (pids.length === 0) return true;
    if (Date.now() >= deadline) {
      log(`a test suite is still running (pids ${pids.join(', ')}); going ahead, results will say so`);
      return false;
    }
    if (!announced) {
      log(
        `waiting for a running test suite to finish (pids ${pids.join(', ')}; at most ${Math.round(maxWaitMs / 1000)} s)`,
      );
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

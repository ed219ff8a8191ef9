// Waiting on a condition with a deadline: polled, never a fixed sleep standing in for it.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown by a probe when waiting longer cannot help (the process it waits on is gone). */
export class GiveUp extends Error {}

export interface PollOptions {
  readonly timeoutMs: number;
  /** Pause between probes (default 50 ms). */
  readonly everyMs?: number;
}

async function poll(probe: () => Promise<boolean>, opts: PollOptions): Promise<{ ok: boolean; last: unknown }> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      if (await probe()) return { ok: true, last };
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (Date.now() >= deadline) return { ok: false, last };
    await sleep(opts.everyMs ?? 50);
  }
}

/**
 * Calls `probe` until it returns true or the deadline passes; whether it came true. A probe
 * that throws counts as "not yet", except with GiveUp, which ends the wait at once.
 */
export async function pollUntil(probe: () => Promise<boolean>, opts: PollOptions): Promise<boolean> {
  return (await poll(probe, opts)).ok;
}

/** The same, throwing past the deadline with what was awaited and the probe's last error. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, opts: PollOptions): Promise<void> {
  const { ok, last } = await poll(probe, opts);
  if (!ok) {
    throw new Error(
      `${what}: not reached within ${opts.timeoutMs} ms${last === null ? '' : ` (last error: ${String(last)})`}`,
    );
  }
}

// A clock the test moves, for the router's control loop (RouterOptions.now) and the
// simulated fleet's telemetry `at` (SimFleetOptions.now). Time stands still until the
// test advances it, so a cooldown, a staleness limit or a slow-start ramp ends exactly
// when the test says and never because the machine was slow. The data plane's own
// timers (body and read timeouts, latencies) stay on the real clock.

/** 2027-01-15T08:00:00.000Z: far from any real "now", so a wall-clock reading mixed in shows. */
export const CLOCK_START_MS = 1_800_000_000_000;

export class ManualClock {
  private ms: number;
  /** performance.now() when released; null while the clock stands still. */
  private releasedAt: number | null = null;

  constructor(startMs = CLOCK_START_MS) {
    this.ms = startMs;
  }

  readonly now = (): number => (this.releasedAt === null ? this.ms : this.ms + (performance.now() - this.releasedAt));

  /** Moves time on by `ms`; returns the new time. */
  advance(ms: number): number {
    if (this.releasedAt !== null) throw new Error('the clock runs on its own once released');
    if (!(ms >= 0)) throw new RangeError(`advance by ${ms} ms`);
    this.ms += ms;
    return this.ms;
  }

  /**
   * From here on time runs with the wall clock. For the end of a test: a router's drain
   * waits for its deadline on this clock, and a clock that stands still never gets there.
   */
  release(): void {
    if (this.releasedAt === null) this.releasedAt = performance.now();
  }
}

// How fast a deployment's requests finish, and from it when a request that could not
// wait long enough should come back. A Retry-After that says when room is expected,
// spread by a random factor, turns a burst of refusals into retries that arrive as room
// appears instead of all at once one second later.

/** Time constant of the finish-rate average: long enough to span a burst's refusals. */
const RATE_TAU_MS = 5000;
/** Retry-After bounds: no sooner than this... */
export const MIN_RETRY_AFTER_MS = 250;
/** ...and no later than the longest Retry-After clients are known to honour (the OpenAI SDKs: 60 s). */
export const MAX_RETRY_AFTER_MS = 60_000;

export class DrainRate {
  /** Requests finished since the last tick (the data plane adds; the tick reads). */
  finished = 0;
  private perMs = 0;
  private lastMs: number | null = null;

  /** Folds the finishes since the last tick into the average. */
  tick(nowMs: number): void {
    const last = this.lastMs;
    this.lastMs = nowMs;
    if (last === null) {
      this.finished = 0;
      return;
    }
    const dt = nowMs - last;
    if (dt <= 0) return;
    const rate = this.finished / dt;
    this.finished = 0;
    const a = 1 - Math.exp(-dt / RATE_TAU_MS);
    this.perMs += a * (rate - this.perMs);
  }

  /** Requests finished per second, averaged. */
  get perSecond(): number {
    return this.perMs * 1000;
  }

  /**
   * When room is expected for a request with `ahead` requests before it: the time the
   * deployment takes to finish that many, times a factor drawn from [0.5, 1.5) so that
   * the retries of one burst spread. Nothing finishing at all: `idleMs` (the wait the
   * request already had), spread the same way.
   */
  retryAfterMs(ahead: number, u: number, idleMs: number): number {
    const expected = this.perMs > 0 ? (ahead + 1) / this.perMs : idleMs;
    const ms = expected * (0.5 + u);
    return Math.round(Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms)));
  }
}

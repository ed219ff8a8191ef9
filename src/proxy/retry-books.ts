// The retry side of one request: how many attempts it has made, which regions it has
// tried, and the retry-budget token it holds for its next attempt. A token is taken
// when a retry is decided (so the budget counts it while the request backs off), passes
// to the attempt that starts next, and goes back to the budget when that attempt ends,
// or at once when no attempt will use it.
import type { RetryBudget } from '../resilience/retry-budget.js';

export interface RetryEnv {
  readonly enabled: boolean;
  readonly maxAttempts: number;
  readonly budget: RetryBudget;
}

/** What reserve() decided: a token is held, no retry is allowed or useful, or the budget is spent. */
export type RetryDecision = 'reserved' | 'no-retry' | 'budget-exhausted';

export class RetryBooks {
  attempts = 0;
  /** Regions already tried; made on the first retry or shed. */
  private triedSet: Set<string> | null = null;
  private reserved = false;

  constructor(private readonly retry: RetryEnv) {}

  get tried(): ReadonlySet<string> {
    return (this.triedSet ??= new Set());
  }

  markTried(region: string): ReadonlySet<string> {
    return (this.triedSet ??= new Set()).add(region);
  }

  /** The request is sent again from the admission queue: every region may be tried anew. */
  forgetTried(): void {
    this.triedSet = null;
  }

  /** An attempt starts: counted (the first one also counts the request for the budget). Returns whether it runs on a token. */
  startAttempt(): boolean {
    this.attempts++;
    if (this.attempts === 1) this.retry.budget.requests++;
    const token = this.reserved;
    this.reserved = false;
    return token;
  }

  /**
   * Takes a budget token for one more attempt after one in `region` failed, when a
   * retry is allowed and another region of `route` is left. answered: the failed
   * attempt reached its backend (see RetryBudget).
   */
  reserve(
    region: string,
    route: { hasOther(exclude: ReadonlySet<string>): boolean } | null,
    requestsInFlight: number,
    answered: boolean,
  ): RetryDecision {
    const retry = this.retry;
    if (!retry.enabled || this.attempts >= retry.maxAttempts) return 'no-retry';
    const tried = this.markTried(region);
    if (route === null || !route.hasOther(tried)) return 'no-retry';
    if (!retry.budget.tryAcquire(requestsInFlight, answered)) return 'budget-exhausted';
    this.reserved = true;
    return 'reserved';
  }

  /** Idempotent: a reserved token no attempt will use goes back to the budget. */
  releaseReserved(): void {
    if (!this.reserved) return;
    this.reserved = false;
    this.retry.budget.release();
  }
}

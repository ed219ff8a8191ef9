// The retry budget, two ways. Envoy's: retries in flight may be at most budgetPercent
// of the requests in flight, or minConcurrent, whichever is larger. That alone does
// not bound how many retries are *made*: a retry that meets an instant 429 is in flight
// for a millisecond, so under a storm of instant refusals the concurrency check never
// bites. So retries started over the last RATE_WINDOW_MS may also be at most
// budgetPercent of the requests started over it (or minConcurrent), the way gRPC's
// retry throttling bounds them: the router itself never sends more than
// 1 + budgetPercent/100 attempts per request to its backends, whatever they answer. A
// retry after a connection that never opened is not counted there: nothing reached a
// backend, and failing over from a dead region is what retries are for.
import type { RetryConfig } from '../config/types.js';

/** The rate check looks this far back, in RETRY_BUDGET_TICK_MS steps recorded by tick(). */
export const RATE_WINDOW_MS = 10_000;
/** How often the window moves on: the router calls tick() on a timer of its own at this period. */
export const RETRY_BUDGET_TICK_MS = 250;
const SLOTS = RATE_WINDOW_MS / RETRY_BUDGET_TICK_MS;

export class RetryBudget {
  inFlight = 0;
  /** Requests started (first attempts): the data plane adds one per request, nothing more. */
  requests = 0;
  /** Retries started after an answer (the ones the rate check counts). */
  retries = 0;
  /** (requests, retries) totals at the last SLOTS ticks: the window's start is the oldest. */
  private readonly history = new Float64Array(2 * SLOTS);
  private slot = 0;
  private lastTickMs = Number.NEGATIVE_INFINITY;

  constructor(private config: RetryConfig) {}

  /** A reload: the new budget applies from the next retry; tokens held stay counted. */
  reconfigure(config: RetryConfig): void {
    this.config = config;
  }

  limit(requestsInFlight: number): number {
    return Math.max(this.config.minConcurrent, (this.config.budgetPercent / 100) * requestsInFlight);
  }

  /** Retries the rate check allows over the window (at least minConcurrent). */
  rateLimit(): number {
    const oldest = this.slot;
    const requests = this.requests - (this.history[2 * oldest] as number);
    return Math.max(this.config.minConcurrent, (this.config.budgetPercent / 100) * requests);
  }

  /** Retries started over the window. */
  retriesInWindow(): number {
    return this.retries - (this.history[2 * this.slot + 1] as number);
  }

  /** reachedBackend: the failed attempt was answered (429, 5xx), so a retry repeats work. */
  tryAcquire(requestsInFlight: number, reachedBackend = true): boolean {
    if (this.inFlight + 1 > this.limit(requestsInFlight)) return false;
    if (reachedBackend && this.retriesInWindow() + 1 > this.rateLimit()) return false;
    this.inFlight++;
    if (reachedBackend) this.retries++;
    return true;
  }

  release(): void {
    this.inFlight--;
  }

  /**
   * Moves the window on; called off the hot path, on the router's budget tick. Steps
   * are RETRY_BUDGET_TICK_MS however often it is called.
   */
  tick(nowMs: number): void {
    if (nowMs - this.lastTickMs < RETRY_BUDGET_TICK_MS) return;
    const steps =
      this.lastTickMs === Number.NEGATIVE_INFINITY
        ? 1
        : Math.min(SLOTS, Math.floor((nowMs - this.lastTickMs) / RETRY_BUDGET_TICK_MS));
    for (let k = 0; k < steps; k++) {
      this.history[2 * this.slot] = this.requests;
      this.history[2 * this.slot + 1] = this.retries;
      this.slot = this.slot + 1 === SLOTS ? 0 : this.slot + 1;
    }
    this.lastTickMs = nowMs;
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(retry-1))]. */
  backoffMs(retry: number, u: number): number {
    const cap = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** Math.max(0, retry - 1));
    return Math.floor(u * cap);
  }
}

// Envoy's retry budget: retries in flight may be at most budgetPercent of the requests
// in flight, or minConcurrent, whichever is larger. Under a storm the budget runs out
// and requests fail fast with the upstream's answer instead of multiplying the load.
import type { RetryConfig } from '../config/types.js';

export class RetryBudget {
  inFlight = 0;

  constructor(private config: RetryConfig) {}

  /** A reload: the new budget applies from the next retry; tokens held stay counted. */
  reconfigure(config: RetryConfig): void {
    this.config = config;
  }

  limit(requestsInFlight: number): number {
    return Math.max(this.config.minConcurrent, (this.config.budgetPercent / 100) * requestsInFlight);
  }

  tryAcquire(requestsInFlight: number): boolean {
    if (this.inFlight + 1 > this.limit(requestsInFlight)) return false;
    this.inFlight++;
    return true;
  }

  release(): void {
    this.inFlight--;
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(retry-1))]. */
  backoffMs(retry: number, u: number): number {
    const cap = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** Math.max(0, retry - 1));
    return Math.floor(u * cap);
  }
}

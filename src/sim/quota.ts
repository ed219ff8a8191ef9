// A simulated region's quota, as Azure OpenAI enforces a deployment's: requests per
// minute and tokens per minute, each admitted over sub-windows (windowMs, 10 s by
// default: a window admits limit x windowMs / 60 s), windows aligned to multiples of
// windowMs on the fleet's clock. A request is charged when it arrives, by its estimate
// (prompt bytes / 4, plus max_tokens or the fleet's default, as the service reserves
// the most it may answer); one that does not fit is refused with 429, Retry-After (whole
// seconds, rounded up) and retry-after-ms until the window turns, and is not charged.
// Every answer of a region with a quota carries x-ratelimit-limit-requests / -tokens
// (per minute) and x-ratelimit-remaining-requests / -tokens (what is left in the window,
// scaled to a minute as the limits are). A tokens-per-minute region (capacity-unit.ts)
// also counts other tenants' tokens per minute against each window, as it reports them.
import type { ServerResponse } from 'node:http';

export interface SimQuotaOptions {
  /** Requests per minute; absent: no request limit. */
  requestsPerMinute?: number;
  /** Tokens per minute; absent: no token limit. */
  tokensPerMinute?: number;
  /** The sub-window the limits are enforced over (default 10,000 ms). */
  windowMs?: number;
}

export const DEFAULT_QUOTA_WINDOW_MS = 10_000;

/** Why a request was refused, and for how long. */
export interface QuotaRefusal {
  readonly dimension: 'requests' | 'tokens';
  readonly retryAfterMs: number;
}

export function checkQuotaOptions(q: SimQuotaOptions, path: string): SimQuotaOptions {
  for (const key of ['requestsPerMinute', 'tokensPerMinute', 'windowMs'] as const) {
    const v = q[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new RangeError(`${path}.${key}: must be a finite number > 0, got ${String(v)}`);
    }
  }
  return { ...q };
}

const NO_OTHER_TENANTS = (): number => 0;

export class SimQuota {
  private readonly windowMs: number;
  /** The part of a minute one window is. */
  private readonly share: number;
  private readonly requestLimit: number;
  private tokensPerMinute: number | undefined;
  private tokenLimit: number;
  private window = -1;
  private requests = 0;
  private tokens = 0;

  /** `otherTokensPerMinute`: other tenants' tokens per minute, which take their share of every window. */
  constructor(
    private readonly opts: SimQuotaOptions,
    private readonly now: () => number,
    private readonly otherTokensPerMinute: () => number = NO_OTHER_TENANTS,
  ) {
    this.windowMs = opts.windowMs ?? DEFAULT_QUOTA_WINDOW_MS;
    this.share = this.windowMs / 60_000;
    this.requestLimit = opts.requestsPerMinute === undefined ? Infinity : opts.requestsPerMinute * this.share;
    this.tokensPerMinute = opts.tokensPerMinute;
    this.tokenLimit = opts.tokensPerMinute === undefined ? Infinity : opts.tokensPerMinute * this.share;
  }

  /** A new token limit from now on (a tokens-per-minute region whose capacity changed). */
  setTokensPerMinute(n: number): void {
    this.tokensPerMinute = n;
    this.tokenLimit = n * this.share;
  }

  /** Tokens the window has charged, other tenants' share included. */
  private tokensTaken(): number {
    return this.tokens + this.otherTokensPerMinute() * this.share;
  }

  private roll(now: number): void {
    const index = Math.floor(now / this.windowMs);
    if (index === this.window) return;
    this.window = index;
    this.requests = 0;
    this.tokens = 0;
  }

  /** Charges a request of `tokens` on arrival; null when admitted, else why not and for how long. */
  admit(tokens: number): QuotaRefusal | null {
    const now = this.now();
    this.roll(now);
    const dimension =
      this.requests + 1 > this.requestLimit
        ? 'requests'
        : this.tokensTaken() + tokens > this.tokenLimit
          ? 'tokens'
          : null;
    if (dimension !== null) return { dimension, retryAfterMs: (this.window + 1) * this.windowMs - now };
    this.requests++;
    this.tokens += tokens;
    return null;
  }

  /** Sets the x-ratelimit-* headers on an answer (before its head is written). */
  setHeaders(res: ServerResponse): void {
    this.roll(this.now());
    const perMinute = 60_000 / this.windowMs;
    if (this.opts.requestsPerMinute !== undefined) {
      res.setHeader('x-ratelimit-limit-requests', String(this.opts.requestsPerMinute));
      const left = Math.max(0, this.requestLimit - this.requests);
      res.setHeader('x-ratelimit-remaining-requests', String(Math.floor(left * perMinute)));
    }
    if (this.tokensPerMinute !== undefined) {
      res.setHeader('x-ratelimit-limit-tokens', String(this.tokensPerMinute));
      const left = Math.max(0, this.tokenLimit - this.tokensTaken());
      res.setHeader('x-ratelimit-remaining-tokens', String(Math.floor(left * perMinute)));
    }
  }
}

/** Retry-After in whole seconds (rounded up) and retry-after-ms, as Azure sends both. */
export function retryAfterHeaders(ms: number): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(Math.ceil(ms)) };
}

// Quota windows: what a region's deployment of a model may still take before the
// service refuses, per (model, region), and what a 429 says about it.
//
// Azure OpenAI grants a deployment requests per minute (RPM) and tokens per minute
// (TPM), but enforces them over sub-windows of 1 s or 10 s: a 10 s window admits a
// sixth of the minute's limit, and a burst that spends it is refused until the window
// turns, however idle the rest of the minute. So the books here are kept per
// sub-window (quota.subWindowMs, aligned to multiples of it since the epoch: the
// service's own alignment is not visible), from two sources:
//
// - the limits: from the config (quota.limits) or learned from the answers'
//   x-ratelimit-limit-requests / -tokens (the config wins);
// - what is left: each answer's x-ratelimit-remaining-requests / -tokens, valid for the
//   sub-window it arrived in, less what this router has sent since.
//
// Every dispatch is charged on arrival, as the service charges it (one request, and
// the request's token estimate when the data plane gives one). When a charge leaves no
// room in the window (the router's own count reaches the window's share of a configured
// limit), the region rests for that model until the window turns: the router stops
// sending before the service refuses. Learned limits and remainders are shown, not
// acted on alone (see charge()).
//
// A 429 is judged by classify429: it says the quota is spent when a remaining count is
// 0, or when its Retry-After is longer than quota.spentRetryAfterMs (a capacity edge
// asks for a second or so; a spent window asks for the time to its end). Otherwise it
// is a concurrency edge, which stays a capacity signal (resilience.ts).
//
// Pure: the clock is passed in, nothing here logs or schedules.
import type { RateLimitReading } from '../telemetry/in-band/rate-limits.js';

export interface QuotaLimit {
  readonly model: string;
  readonly region: string;
  /** 0: not configured. */
  readonly requestsPerMinute: number;
  readonly tokensPerMinute: number;
}

export interface QuotaSettings {
  readonly enabled: boolean;
  readonly subWindowMs: number;
  readonly spentRetryAfterMs: number;
  readonly limits: readonly QuotaLimit[];
}

/**
 * What a 429 says: the quota is spent (a remaining count 0, or a long Retry-After), the
 * request alone was too large for what is left (tokens remain, but fewer than it
 * needs: smaller requests still fit, the region is not spent), or a concurrency edge.
 */
export type Quota429 = 'remaining-requests' | 'remaining-tokens' | 'retry-after' | 'too-large' | 'capacity';

/** Why a region rests for quota: a 429 that says the quota is spent, or the router's own books. */
export type QuotaRestReason = Exclude<Quota429, 'capacity' | 'too-large'> | 'window-requests' | 'window-tokens';

export interface QuotaRest {
  readonly untilMs: number;
  readonly reason: QuotaRestReason;
  readonly detail: string;
}

/** The quota as /capacity shows it, for one (model, region). */
export interface QuotaView {
  readonly model: string;
  readonly region: string;
  readonly requestsPerMinute: number | null;
  readonly tokensPerMinute: number | null;
  /** Where the limits came from: the config, the answers' headers, or neither yet. */
  readonly limitSource: 'config' | 'learned' | null;
  /** The newest remaining counts an answer gave in the current window, less this router's sends since; null when none. */
  readonly remainingRequests: number | null;
  readonly remainingTokens: number | null;
  readonly observedAtMs: number | null;
  /** This router's charges in the current window. */
  readonly windowRequests: number;
  readonly windowTokens: number;
  readonly windowEndsAtMs: number;
  readonly restingUntilMs: number | null;
  readonly restReason: QuotaRestReason | null;
}

/** What a 429 says, from its rate-limit headers (null: none read) and its Retry-After. */
export function classify429(
  reading: RateLimitReading | null,
  retryAfterMs: number | null,
  spentRetryAfterMs: number,
): Quota429 {
  if (reading !== null) {
    if (reading.remainingTokens === 0) return 'remaining-tokens';
    if (reading.remainingRequests === 0) return 'remaining-requests';
    if (reading.remainingTokens > 0 && retryAfterMs !== null && retryAfterMs > spentRetryAfterMs) return 'too-large';
  }
  if (retryAfterMs !== null && retryAfterMs > spentRetryAfterMs) return 'retry-after';
  return 'capacity';
}

class QuotaEntry {
  configRpm = 0;
  configTpm = 0;
  learnedRpm = 0;
  learnedTpm = 0;
  /** The newest remaining counts (-1: not sent), the window they belong to, and when they came. */
  remainingRequests = -1;
  remainingTokens = -1;
  readingWindow = -1;
  observedAtMs = 0;
  /** The router's charges in the current window, and since the newest reading. */
  window = -1;
  requests = 0;
  tokens = 0;
  requestsSinceReading = 0;
  tokensSinceReading = 0;
  restUntilMs = 0;
  restReason: QuotaRestReason | null = null;

  constructor(
    readonly model: string,
    readonly region: string,
  ) {}

  rpm(): number {
    return this.configRpm > 0 ? this.configRpm : this.learnedRpm;
  }

  tpm(): number {
    return this.configTpm > 0 ? this.configTpm : this.learnedTpm;
  }

  /** Moves the books to the window of `index`; a reading from an earlier window no longer holds. */
  roll(index: number): void {
    if (this.window === index) return;
    this.window = index;
    this.requests = 0;
    this.tokens = 0;
    if (this.readingWindow !== index) {
      this.remainingRequests = -1;
      this.remainingTokens = -1;
      this.requestsSinceReading = 0;
      this.tokensSinceReading = 0;
    }
  }
}

export class QuotaWindows {
  private readonly byModel = new Map<string, Map<string, QuotaEntry>>();

  constructor(private settings: QuotaSettings) {
    this.applyLimits();
  }

  /** A reload: new limits and windows; what was learnt is kept. */
  reconfigure(settings: QuotaSettings): void {
    this.settings = settings;
    for (const regions of this.byModel.values()) {
      for (const e of regions.values()) {
        e.configRpm = 0;
        e.configTpm = 0;
        e.window = -1;
      }
    }
    this.applyLimits();
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  get spentRetryAfterMs(): number {
    return this.settings.spentRetryAfterMs;
  }

  private applyLimits(): void {
    for (const l of this.settings.limits) {
      const e = this.entry(l.model, l.region);
      e.configRpm = l.requestsPerMinute;
      e.configTpm = l.tokensPerMinute;
    }
  }

  private entry(model: string, region: string): QuotaEntry {
    let regions = this.byModel.get(model);
    if (regions === undefined) {
      regions = new Map();
      this.byModel.set(model, regions);
    }
    let e = regions.get(region);
    if (e === undefined) {
      e = new QuotaEntry(model, region);
      regions.set(region, e);
    }
    return e;
  }

  private windowOf(nowMs: number): number {
    return Math.floor(nowMs / this.settings.subWindowMs);
  }

  /** The end of the window `nowMs` is in. */
  windowEndMs(nowMs: number): number {
    return (this.windowOf(nowMs) + 1) * this.settings.subWindowMs;
  }

  /** An answer's rate-limit headers: the limits it names, and what it says is left in this window. */
  learn(model: string, region: string, r: RateLimitReading, nowMs: number): void {
    const e = this.entry(model, region);
    const index = this.windowOf(nowMs);
    e.roll(index);
    if (r.limitRequests > 0) e.learnedRpm = r.limitRequests;
    if (r.limitTokens > 0) e.learnedTpm = r.limitTokens;
    if (r.remainingRequests < 0 && r.remainingTokens < 0) return;
    e.remainingRequests = r.remainingRequests;
    e.remainingTokens = r.remainingTokens;
    e.readingWindow = index;
    e.observedAtMs = nowMs;
    e.requestsSinceReading = 0;
    e.tokensSinceReading = 0;
  }

  /**
   * A dispatch to the region: one request, and `tokens` (0 when unknown). Returns the
   * rest that starts when this charge leaves the window no room, else null.
   */
  charge(model: string, region: string, tokens: number, nowMs: number): QuotaRest | null {
    const e = this.byModel.get(model)?.get(region) ?? this.entry(model, region);
    e.roll(this.windowOf(nowMs));
    e.requests++;
    e.tokens += tokens;
    e.requestsSinceReading++;
    e.tokensSinceReading += tokens;
    if (e.restUntilMs > nowMs) return null;
    // Only limits the operator stated: a learned limit or remainder may be the minute's
    // or the window's, and scaled by the service in ways its headers do not say; they
    // are reported (views) and judged by the 429s they come with, not acted on alone.
    const share = this.settings.subWindowMs / 60_000;
    const rpm = e.configRpm;
    const tpm = e.configTpm;
    let reason: QuotaRestReason | null = null;
    let detail = '';
    if (rpm > 0 && e.requests >= rpm * share) {
      reason = 'window-requests';
      detail = `${e.requests} requests sent in this ${this.settings.subWindowMs} ms window, its share of ${rpm} per minute`;
    } else if (tpm > 0 && tokens > 0 && e.tokens >= tpm * share) {
      reason = 'window-tokens';
      detail = `${e.tokens} tokens sent in this ${this.settings.subWindowMs} ms window, its share of ${tpm} per minute`;
    } else if (tpm > 0 && tokens > 0 && (this.serviceTokensLeft(e, e.window) ?? 1) <= 0) {
      reason = 'window-tokens';
      detail = `the service's remaining count, less ${Math.round(e.tokensSinceReading)} tokens sent since, leaves this ${this.settings.subWindowMs} ms window nothing`;
    }
    if (reason === null) return null;
    return this.rest(e, reason, this.windowEndMs(nowMs), `quota window spent: ${detail}`);
  }

  /**
   * Whether a request of `tokens` fits in the region's current window by the router's
   * own books against a configured tokens-per-minute limit. A request larger than a
   * whole window's share fits an empty window (the service decides then).
   */
  fits(model: string, region: string, tokens: number, nowMs: number): boolean {
    const e = this.byModel.get(model)?.get(region);
    if (e === undefined || e.configTpm <= 0 || tokens <= 0) return true;
    const index = this.windowOf(nowMs);
    e.roll(index);
    const left = this.serviceTokensLeft(e, index);
    if (left !== null && left < tokens) return false;
    return e.tokens === 0 || e.tokens + tokens <= (e.configTpm * this.settings.subWindowMs) / 60_000;
  }

  /**
   * What the service's newest remaining-tokens count in this window leaves, less this
   * router's sends since (other clients of the quota spend it too, and only the
   * service's count sees them); null without such a count. The count is taken in the
   * limits' per-minute scale, as the limit headers are: a window's part of it is left.
   */
  private serviceTokensLeft(e: QuotaEntry, index: number): number | null {
    if (e.readingWindow !== index || e.remainingTokens < 0) return null;
    return (e.remainingTokens * this.settings.subWindowMs) / 60_000 - e.tokensSinceReading;
  }

  /** Whether a tokens-per-minute limit is configured for the model there. */
  hasTokenLimit(model: string, region: string): boolean {
    return (this.byModel.get(model)?.get(region)?.configTpm ?? 0) > 0;
  }

  /** A request the region refused (or never got): its charge leaves the window it was made in. */
  refund(model: string, region: string, tokens: number, sentAtMs: number, nowMs: number): void {
    const e = this.byModel.get(model)?.get(region);
    if (e === undefined) return;
    const index = this.windowOf(nowMs);
    e.roll(index);
    if (this.windowOf(sentAtMs) !== index) return;
    e.requests = Math.max(0, e.requests - 1);
    e.tokens = Math.max(0, e.tokens - tokens);
    e.requestsSinceReading = Math.max(0, e.requestsSinceReading - 1);
    e.tokensSinceReading = Math.max(0, e.tokensSinceReading - tokens);
  }

  /** A 429 that says the quota is spent: the region rests for the model until `untilMs`. */
  spent(model: string, region: string, reason: QuotaRestReason, untilMs: number, detail: string): QuotaRest {
    return this.rest(this.entry(model, region), reason, untilMs, detail);
  }

  private rest(e: QuotaEntry, reason: QuotaRestReason, untilMs: number, detail: string): QuotaRest {
    if (untilMs > e.restUntilMs) {
      e.restUntilMs = untilMs;
      e.restReason = reason;
    }
    return { untilMs, reason, detail };
  }

  /** Every (model, region) with something known, for /capacity. */
  views(nowMs: number): QuotaView[] {
    const out: QuotaView[] = [];
    const index = this.windowOf(nowMs);
    for (const regions of this.byModel.values()) {
      for (const e of regions.values()) {
        e.roll(index);
        const rpm = e.rpm();
        const tpm = e.tpm();
        const resting = e.restUntilMs > nowMs;
        out.push({
          model: e.model,
          region: e.region,
          requestsPerMinute: rpm > 0 ? rpm : null,
          tokensPerMinute: tpm > 0 ? tpm : null,
          limitSource:
            e.configRpm > 0 || e.configTpm > 0 ? 'config' : e.learnedRpm > 0 || e.learnedTpm > 0 ? 'learned' : null,
          remainingRequests: e.remainingRequests < 0 ? null : Math.max(0, e.remainingRequests - e.requestsSinceReading),
          remainingTokens: e.remainingTokens < 0 ? null : Math.max(0, e.remainingTokens - e.tokensSinceReading),
          observedAtMs: e.observedAtMs > 0 ? e.observedAtMs : null,
          windowRequests: e.requests,
          windowTokens: e.tokens,
          windowEndsAtMs: (index + 1) * this.settings.subWindowMs,
          restingUntilMs: resting ? e.restUntilMs : null,
          restReason: resting ? e.restReason : null,
        });
      }
    }
    return out;
  }
}

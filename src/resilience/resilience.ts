// The data plane's own view of the fleet, built from every attempt's outcome: outlier
// ejections, Retry-After cooldowns, slow start after recovery, passive capacity, and
// the retry budget. The planner reads it when plans are rebuilt; nothing here runs per
// request beyond recording an outcome.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RegionAvailability } from '../planner/types.js';
import { median } from '../planner/estimate.js';
import type { BackendHealth, DispatchSink, OutcomeSink, RefundSink } from './outcome.js';
import { redactUrl } from '../net/redact-url.js';
import { isBackendOutcome, isConnectError } from '../net/undici-errors.js';
import type { OwnLoadView } from '../telemetry/own-load.js';
import type { CapacityReport } from '../telemetry/report.js';
import { Cooldowns } from './cooldowns.js';
import { OutlierDetector, type OutcomeClass } from './outlier-detector.js';
import { passiveFactor } from './passive-capacity.js';
import { classify429, type QuotaRest, QuotaWindows } from './quota-windows.js';
import { RetryBudget } from './retry-budget.js';
import { ATTEMPTS, FAILURES, LATENCY_COUNT, LATENCY_SUM, STATUS_400, STATUS_429 } from './rolling-window.js';
import { slowStartFactor } from './slow-start.js';

export interface ResilienceOptions {
  readonly config: Config;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** A region's state changed: the router should re-plan soon (debounced by the caller). */
  readonly requestReplan: () => void;
  /** This router's load per (model, region): a 429 caps a region's room there. */
  readonly ownLoad: OwnLoadView;
}

const key = (model: string, region: string): string => `${model}\u0000${region}`;

/** A suspect is held this many outlier buckets (a tenth of outlier.windowMs each) past its last evidence. */
const SUSPECT_HOLD_BUCKETS = 2;

interface Suspicion {
  readonly rate: number;
  readonly peerRate: number;
  readonly untilMs: number;
}

// A region that turns nearly everything away without saying for how long rests this long.
const DEFAULT_RATE_REST_MS = 1000;

/**
 * How an attempt counts for outlier detection. A client that went away counts as
 * nothing, and so does a request that never reached a backend for a reason other than
 * the network (undici refused it, the pool was closing): see net/undici-errors.ts.
 */
export function classify(
  status: number,
  errorCode: string | null,
  retryAfterMs: number | null,
  written?: boolean,
): OutcomeClass | null {
  if (errorCode === 'ClientClosed') return null;
  if (written === false && !isBackendOutcome(status, errorCode, false)) return null;
  if (status === 0) return 'failure';
  if (status === 429) return 'status429';
  // A 503 with Retry-After is a deliberate "back off", handled by a cooldown.
  if (status === 503 && retryAfterMs !== null) return 'status429';
  if (status >= 500) return 'failure';
  if (status === 400) return 'status400';
  return status < 400 ? 'success' : 'other';
}

export class Resilience {
  readonly detector: OutlierDetector;
  readonly cooldowns: Cooldowns;
  readonly budget: RetryBudget;
  readonly quota: QuotaWindows;
  /** When each region's slow start begins (the end of its last outage) and how long it ramps. */
  private readonly recoveries = new Map<string, { atMs: number; windowMs: number }>();
  /**
   * (model, region) pairs suspect of answering 400 for their own reasons, held a while
   * (SUSPECT_HOLD_BUCKETS) past the last evidence: the evidence is a second's worth of
   * attempts, and a region weighted down gets few of them, so without the hold it would
   * flap back to its whole weight at every turn of a bucket.
   */
  private readonly suspects = new Map<string, Suspicion>();
  private readonly telemetryFresh = new Map<string, boolean>();
  private readonly medianLatency = new Map<string, { atMs: number; value: number | null }>();

  constructor(private opts: ResilienceOptions) {
    this.detector = new OutlierDetector(opts.config.outlier);
    this.cooldowns = new Cooldowns(opts.config.cooldown.maxMs);
    this.budget = new RetryBudget(opts.config.retry);
    this.quota = new QuotaWindows(opts.config.quota);
  }

  /**
   * A reload: new settings from the next outcome on. What the router has learnt (a
   * region ejected or cooling down, a slow start) is kept: a config change does not
   * make a failing region healthy.
   */
  reconfigure(config: Config): void {
    this.opts = { ...this.opts, config };
    this.detector.reconfigure(config.outlier);
    this.cooldowns.reconfigure(config.cooldown.maxMs);
    this.budget.reconfigure(config.retry);
    this.quota.reconfigure(config.quota);
  }

  /** A request leaves for a region: its quota window is charged, and rests the region when that spends it. */
  readonly onDispatch: DispatchSink = (model, region, tokens) => {
    if (!this.quota.enabled) return;
    const now = this.opts.now();
    const rest = this.quota.charge(model, region, tokens, now);
    if (rest !== null) this.quotaRest(model, region, 0, rest, now);
  };

  /** A request the region refused: its quota charge is taken back (the service charges what it serves). */
  readonly onRefused: RefundSink = (model, region, tokens, sentAtMs) => {
    if (this.quota.enabled) this.quota.refund(model, region, tokens, sentAtMs, this.opts.now());
  };

  /** Whether a request of `tokens` fits in the region's quota window now (see QuotaWindows.fits). */
  readonly quotaFits = (model: string, region: string, tokens: number): boolean =>
    this.quota.fits(model, region, tokens, this.opts.now());

  readonly onOutcome: OutcomeSink = (
    model,
    backend,
    status,
    errorCode,
    retryAfterMs,
    headersSeconds,
    written,
    rateLimits,
  ) => {
    const cls = classify(status, errorCode, retryAfterMs, written);
    if (cls === null) return;
    const { config, metrics, logger } = this.opts;
    const now = this.opts.now();
    const region = backend.region;
    // A failure after the request was written is no connect failure, whatever its code.
    this.trackBackend(backend, status, written === true ? null : errorCode, now);
    const detail = status === 0 ? (errorCode ?? 'error') : String(status);
    const ejection = this.detector.record(this.detector.health(model, region), cls, headersSeconds, detail, now);
    if (ejection !== null) {
      metrics.ejections.labels(model, region, ejection.kind).inc();
      logger.warn(
        { model, region, kind: ejection.kind, reason: ejection.reason, ejectedForMs: ejection.untilMs - now },
        'region ejected',
      );
      this.recoverAt(key(model, region), ejection.untilMs, config.slowStart.windowMs);
      this.opts.requestReplan();
    } else if (cls === 'status400') {
      const before = this.suspects.get(key(model, region));
      const was = before !== undefined && now < before.untilMs;
      if (this.suspicion(model, region, now) !== null && !was && config.outlier.suspectWeight < 1) {
        this.opts.requestReplan();
      }
    }
    const quota = this.quota.enabled;
    if (quota && rateLimits != null) this.quota.learn(model, region, rateLimits, now);
    if (status === 429) {
      this.capacitySignal(model, region, retryAfterMs, now);
      if (quota) {
        const said429 = classify429(rateLimits ?? null, retryAfterMs, this.quota.spentRetryAfterMs);
        metrics.upstream429.labels(model, region, said429 === 'capacity' ? 'capacity' : 'quota').inc();
        // Too large for what is left: smaller requests still fit, and with a configured
        // limit the reading just learned keeps requests of its size away until the
        // window turns (QuotaWindows.fits). Without one, nothing would: the region rests.
        if (said429 === 'too-large' && this.quota.hasTokenLimit(model, region)) return;
        const verdict = said429 === 'too-large' ? 'retry-after' : said429;
        if (verdict !== 'capacity') {
          // Until the service says: its Retry-After, else the end of the current window.
          const untilMs = retryAfterMs !== null ? now + retryAfterMs : this.quota.windowEndMs(now);
          const said =
            verdict === 'retry-after'
              ? `Retry-After ${Math.round(retryAfterMs ?? 0)} ms > ${this.quota.spentRetryAfterMs} ms`
              : `x-ratelimit-${verdict} 0${retryAfterMs === null ? '' : `, Retry-After ${Math.round(retryAfterMs)} ms`}`;
          const rest = this.quota.spent(model, region, verdict, untilMs, `quota spent: upstream answered 429, ${said}`);
          this.quotaRest(model, region, status, rest, now);
          return;
        }
      }
    }
    const rest = this.restFor(model, region, status, retryAfterMs, now);
    if (rest !== null) this.coolDown(model, region, status, rest, now);
  };

  /**
   * A 429 says "full right now", not "gone": the region's room for this router is
   * capped at what the router had in flight there when the answer came, until its
   * Retry-After (or one telemetry interval) has passed or a newer report arrives. The
   * pick then passes it over until some of those requests finish.
   */
  private capacitySignal(model: string, region: string, retryAfterMs: number | null, now: number): void {
    const cell = this.opts.ownLoad.cellOf(model, region);
    if (cell === null) return;
    const { config } = this.opts;
    const holdMs = Math.min(retryAfterMs ?? config.telemetry.intervalMs, config.cooldown.minRetryAfterMs);
    cell.capRoom(cell.units, now, now + holdMs);
  }

  /**
   * Whether to rest the whole region, and for how long. Only what really is an outage
   * of the region for this model: a 503 with Retry-After (a deliberate "back off"), a
   * 429 whose Retry-After is long (a spent quota), or a region that turns away nearly
   * everything. A 429 at the capacity edge is a capacity signal instead.
   */
  private restFor(
    model: string,
    region: string,
    status: number,
    retryAfterMs: number | null,
    now: number,
  ): { ms: number; reason: string } | null {
    const { config } = this.opts;
    if (!config.cooldown.enabled || (status !== 429 && status !== 503)) return null;
    const asked = retryAfterMs === null ? '' : ` with Retry-After ${Math.round(retryAfterMs)} ms`;
    if (status === 503)
      return retryAfterMs === null ? null : { ms: retryAfterMs, reason: `upstream answered 503${asked}` };
    if (retryAfterMs !== null && retryAfterMs >= config.cooldown.minRetryAfterMs) {
      return { ms: retryAfterMs, reason: `upstream answered 429${asked}` };
    }
    const h = this.detector.peek(model, region);
    if (h === undefined) return null;
    const attempts = h.window.sum(ATTEMPTS, now);
    if (attempts < config.outlier.minRequests) return null;
    const rate = h.window.sum(STATUS_429, now) / attempts;
    if (rate < config.cooldown.min429Rate) return null;
    return {
      ms: retryAfterMs ?? DEFAULT_RATE_REST_MS,
      reason: `429 rate ${rate.toFixed(2)} >= ${config.cooldown.min429Rate} over ${attempts} attempts (last${asked})`,
    };
  }

  /**
   * A region rests for a model while its quota window is spent. No slow start after it:
   * a window that turns gives the whole quota back at once, and ramping the region in
   * would push its share onto its peers' windows.
   */
  private quotaRest(model: string, region: string, status: number, rest: QuotaRest, now: number): void {
    const held = this.cooldowns.active(model, region, now);
    this.coolDown(model, region, status, { ms: rest.untilMs - now, reason: rest.detail }, now, false);
    if (held === undefined || held.untilMs < rest.untilMs) {
      this.opts.metrics.quotaRests.labels(model, region, rest.reason).inc();
    }
  }

  private coolDown(
    model: string,
    region: string,
    status: number,
    rest: { ms: number; reason: string },
    now: number,
    slowStart = true,
  ): void {
    const { metrics, logger } = this.opts;
    const held = this.cooldowns.active(model, region, now);
    const c = this.cooldowns.rest(model, region, rest.ms, rest.reason, now);
    if (c.untilMs <= now || (held !== undefined && c.untilMs <= held.untilMs)) return;
    metrics.cooldowns.labels(model, region).inc();
    if (held === undefined) {
      logger.info({ model, region, status, cooldownMs: c.untilMs - now, reason: c.reason }, 'region cooling down');
    }
    // After a rest the region ramps back over as long as it rested, at most the slow-start window.
    if (slowStart) this.recoverAt(key(model, region), c.untilMs, c.untilMs - c.sinceMs);
    this.opts.requestReplan();
  }

  /** A slow start from atMs over windowMs (the later of two recoveries wins). */
  private recoverAt(k: string, atMs: number, windowMs: number): void {
    const previous = this.recoveries.get(k);
    if (previous !== undefined && previous.atMs > atMs) return;
    this.recoveries.set(k, { atMs, windowMs: Math.min(windowMs, this.opts.config.slowStart.windowMs) });
  }

  /** Inside a region: a backend that keeps refusing connections is skipped for a while. */
  private trackBackend(b: BackendHealth, status: number, errorCode: string | null, now: number): void {
    if (status !== 0 || errorCode === null || !isConnectError(errorCode)) {
      if (status !== 0) b.connectFailures = 0;
      return;
    }
    b.connectFailures++;
    const outlier = this.opts.config.outlier;
    if (!outlier.enabled || b.connectFailures < outlier.consecutiveFailures || b.ejectedUntilMs > now) return;
    b.ejectedUntilMs = now + outlier.baseEjectionMs;
    b.connectFailures = 0;
    this.opts.metrics.backendEjections.labels(b.region, b.url).inc();
    this.opts.logger.warn(
      {
        region: b.region,
        backend: redactUrl(b.url),
        reason: `${outlier.consecutiveFailures} consecutive connect failures (last: ${errorCode})`,
        ejectedForMs: outlier.baseEjectionMs,
      },
      'backend ejected',
    );
  }

  /**
   * Telemetry that comes back after an outage starts a slow start too, unless the region
   * kept serving this router meanwhile: then only its reports were missing, the region
   * never left, and ramping it from minWeightPercent would push its traffic onto the
   * regions that stayed visible (at high load, into 429s).
   */
  observeTelemetry(
    telemetry: { report(model: string, region: string): Pick<CapacityReport, 'atMs'> | undefined },
    models: Iterable<string>,
    regions: readonly string[],
    staleAfterMs: number,
    now: number,
  ): void {
    for (const model of models) {
      for (const region of regions) {
        const report = telemetry.report(model, region);
        const fresh = report !== undefined && now - report.atMs <= staleAfterMs;
        const k = key(model, region);
        const before = this.telemetryFresh.get(k);
        if (before === false && fresh && !this.servedLately(model, region, now)) {
          this.recoverAt(k, now, this.opts.config.slowStart.windowMs);
          this.opts.logger.info({ model, region, reason: 'telemetry fresh again' }, 'region recovering');
        }
        // Only a region seen fresh once can "come back"; at start-up nothing recovers.
        if (fresh || before !== undefined) this.telemetryFresh.set(k, fresh);
      }
    }
  }

  /** Whether the region answered some of this router's attempts for the model, over the outlier window, without an error. */
  private servedLately(model: string, region: string, now: number): boolean {
    const w = this.detector.peek(model, region)?.window;
    if (w === undefined) return false;
    const errors = w.sum(FAILURES, now) + w.sum(STATUS_429, now) + w.sum(STATUS_400, now);
    return w.sum(ATTEMPTS, now) - errors > 0;
  }

  /** A 400 from the region now is worth one retry elsewhere (see OutlierDetector.suspect400). */
  readonly suspect400 = (model: string, region: string): boolean =>
    this.suspicion(model, region, this.opts.now()) !== null;

  /** The region's 400 rate and its peers' while it is suspect (evidence now, or held from the last); else null. */
  private suspicion(model: string, region: string, now: number): Suspicion | null {
    const k = key(model, region);
    const excess = this.detector.excess400(model, region, now);
    if (excess !== null) {
      const holdMs = (SUSPECT_HOLD_BUCKETS * this.opts.config.outlier.windowMs) / 10;
      const held = { ...excess, untilMs: now + holdMs };
      this.suspects.set(k, held);
      return held;
    }
    const held = this.suspects.get(k);
    if (held !== undefined && now < held.untilMs) return held;
    this.suspects.delete(k);
    return null;
  }

  availability(model: string, region: string, now: number): RegionAvailability | undefined {
    const ejection = this.detector.peek(model, region)?.ejection;
    if (ejection != null && now < ejection.untilMs) {
      return {
        state: 'ejected',
        reason: ejection.reason,
        kind: ejection.kind,
        sinceMs: ejection.sinceMs,
        untilMs: ejection.untilMs,
        weightFactor: 1,
      };
    }
    const cooldown = this.cooldowns.active(model, region, now);
    if (cooldown !== undefined) {
      return {
        state: 'cooldown',
        reason: cooldown.reason,
        kind: null,
        sinceMs: cooldown.sinceMs,
        untilMs: cooldown.untilMs,
        weightFactor: 1,
      };
    }
    const k = key(model, region);
    // A region that answers 400 far more often than its peers, on too few requests yet
    // to be ejected, takes a small part of its weight meanwhile: most of its traffic
    // goes where it is served, and its 400s stay few enough for the retry budget.
    const weight = this.opts.config.outlier.suspectWeight;
    const excess = weight < 1 ? this.suspicion(model, region, now) : null;
    if (excess !== null) {
      return {
        state: 'suspect',
        reason: `400 rate ${excess.rate.toFixed(2)} vs ${excess.peerRate.toFixed(2)} in peer regions, on too few requests to eject: ${weight} of its weight until judged`,
        kind: 'status400',
        sinceMs: now,
        untilMs: null,
        weightFactor: weight,
      };
    }
    const recovery = this.recoveries.get(k);
    if (recovery === undefined || now < recovery.atMs) return undefined;
    const factor = slowStartFactor(now - recovery.atMs, this.opts.config.slowStart, recovery.windowMs);
    if (factor >= 1) {
      this.recoveries.delete(k);
      return undefined;
    }
    return {
      state: 'slow-start',
      reason: `recovering: ${Math.round(factor * 100)}% of its weight, full after ${recovery.windowMs / 1000} s`,
      kind: null,
      sinceMs: recovery.atMs,
      untilMs: null,
      weightFactor: factor,
    };
  }

  /** Conservative mode only: the router's own view as a weight multiplier in (0, 1]. */
  passiveFactor(model: string, region: string, now: number): number {
    if (!this.opts.config.conservative.passiveCapacity) return 1;
    const h = this.detector.peek(model, region);
    if (h === undefined) return 1;
    const n = h.window.sum(LATENCY_COUNT, now);
    return passiveFactor(
      {
        attempts: h.window.sum(ATTEMPTS, now),
        status429: h.window.sum(STATUS_429, now),
        meanLatencyS: n > 0 ? h.window.sum(LATENCY_SUM, now) / n : null,
      },
      this.peerMedianLatency(model, now),
      this.opts.config.outlier.minRequests,
    );
  }

  /** Median time to headers across a model's regions; one computation per model per re-plan. */
  private peerMedianLatency(model: string, now: number): number | null {
    const cached = this.medianLatency.get(model);
    if (cached !== undefined && cached.atMs === now) return cached.value;
    const latencies: number[] = [];
    for (const p of this.detector.peers(model)) {
      const n = p.window.sum(LATENCY_COUNT, now);
      if (n > 0) latencies.push(p.window.sum(LATENCY_SUM, now) / n);
    }
    const value = median(latencies);
    this.medianLatency.set(model, { atMs: now, value });
    return value;
  }
}

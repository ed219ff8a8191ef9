// The data plane's own view of the fleet, built from every attempt's outcome: outlier
// ejections, Retry-After cooldowns, slow start after recovery, passive capacity, and
// the retry budget. The planner reads it when plans are rebuilt; nothing here runs per
// request beyond recording an outcome.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RegionAvailability } from '../planner/types.js';
import { median } from '../planner/estimate.js';
import type { OutcomeSink } from '../proxy/forward.js';
import type { Backend } from '../proxy/upstream.js';
import { isBackendOutcome } from '../proxy/attempt-failure.js';
import { CONNECT_ERRORS } from '../proxy/retry-policy.js';
import type { TelemetryView } from '../telemetry/store.js';
import { Cooldowns } from './cooldowns.js';
import { OutlierDetector, type OutcomeClass } from './outlier-detector.js';
import { passiveFactor } from './passive-capacity.js';
import { RetryBudget } from './retry-budget.js';
import { ATTEMPTS, LATENCY_COUNT, LATENCY_SUM, STATUS_429 } from './rolling-window.js';
import { slowStartFactor } from './slow-start.js';

export interface ResilienceOptions {
  readonly config: Config;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** A region's state changed: the router should re-plan soon (debounced by the caller). */
  readonly requestReplan: () => void;
}

const key = (model: string, region: string): string => `${model}\u0000${region}`;

/**
 * How an attempt counts for outlier detection. A client that went away counts as
 * nothing, and so does a request that never reached a backend for a reason other than
 * the network (undici refused it, the pool was closing): see proxy/attempt-failure.ts.
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
  /** When each region's slow start begins (ms since epoch): the end of its last outage. */
  private readonly recoveries = new Map<string, number>();
  private readonly telemetryFresh = new Map<string, boolean>();
  private readonly medianLatency = new Map<string, { atMs: number; value: number | null }>();

  constructor(private readonly opts: ResilienceOptions) {
    this.detector = new OutlierDetector(opts.config.outlier);
    this.cooldowns = new Cooldowns(opts.config.cooldown.maxMs);
    this.budget = new RetryBudget(opts.config.retry);
  }

  readonly onOutcome: OutcomeSink = (model, backend, status, errorCode, retryAfterMs, headersSeconds, written) => {
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
      this.recoveries.set(key(model, region), ejection.untilMs);
      this.opts.requestReplan();
    }
    if ((status === 429 || status === 503) && retryAfterMs !== null && config.cooldown.enabled) {
      const held = this.cooldowns.active(model, region, now);
      const c = this.cooldowns.rest(
        model,
        region,
        retryAfterMs,
        `upstream answered ${status} with Retry-After ${Math.round(retryAfterMs)} ms`,
        now,
      );
      if (c.untilMs > now && (held === undefined || c.untilMs > held.untilMs)) {
        metrics.cooldowns.labels(model, region).inc();
        if (held === undefined)
          logger.info({ model, region, status, cooldownMs: c.untilMs - now, reason: c.reason }, 'region cooling down');
        this.recoveries.set(key(model, region), Math.max(c.untilMs, this.recoveries.get(key(model, region)) ?? 0));
        this.opts.requestReplan();
      }
    }
  };

  /** Inside a region: a backend that keeps refusing connections is skipped for a while. */
  private trackBackend(b: Backend, status: number, errorCode: string | null, now: number): void {
    if (status !== 0 || errorCode === null || !CONNECT_ERRORS.has(errorCode)) {
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
        backend: b.url,
        reason: `${outlier.consecutiveFailures} consecutive connect failures (last: ${errorCode})`,
        ejectedForMs: outlier.baseEjectionMs,
      },
      'backend ejected',
    );
  }

  /** Telemetry that comes back after an outage starts a slow start too. */
  observeTelemetry(
    telemetry: TelemetryView,
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
        if (before === false && fresh) {
          this.recoveries.set(k, Math.max(now, this.recoveries.get(k) ?? 0));
          this.opts.logger.info({ model, region, reason: 'telemetry fresh again' }, 'region recovering');
        }
        // Only a region seen fresh once can "come back"; at start-up nothing recovers.
        if (fresh || before !== undefined) this.telemetryFresh.set(k, fresh);
      }
    }
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
    const since = this.recoveries.get(k);
    if (since === undefined || now < since) return undefined;
    const factor = slowStartFactor(now - since, this.opts.config.slowStart);
    if (factor >= 1) {
      this.recoveries.delete(k);
      return undefined;
    }
    const windowS = this.opts.config.slowStart.windowMs / 1000;
    return {
      state: 'slow-start',
      reason: `recovering: ${Math.round(factor * 100)}% of its weight, full after ${windowS} s`,
      kind: null,
      sinceMs: since,
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

  close(): void {
    this.cooldowns.close();
  }
}

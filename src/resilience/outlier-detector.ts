// Passive outlier detection per (model, region), from the router's own outcomes:
// consecutive failures, a failure rate, and service-side 400 anomalies (a region's 400
// rate far above its peers' for the same model, over the same window). It decides
// candidates; the planner applies the ejection cap per deployment.
import type { OutlierConfig } from '../config/types.js';
import {
  ATTEMPTS,
  FAILURES,
  LATENCY_COUNT,
  LATENCY_SUM,
  RollingWindow,
  STATUS_400,
  STATUS_429,
} from './rolling-window.js';

/** The recent span a 400 anomaly is also judged over: the newest 3 of the window's 10 buckets. */
const RECENT_BUCKETS = 3;
/** A region's 400s are suspect on this few attempts (and as many among its peers); ejection waits for minRequests. */
const SUSPECT_MIN_ATTEMPTS = 3;

export type OutcomeClass = 'success' | 'failure' | 'status400' | 'status429' | 'other';

export interface Ejection {
  readonly kind: 'failure' | 'status400';
  readonly reason: string;
  readonly sinceMs: number;
  readonly untilMs: number;
}

export class RegionHealth {
  readonly window: RollingWindow;
  consecutiveFailures = 0;
  lastFailure = '';
  ejection: Ejection | null = null;
  /** Ejections in a row; decays when the region stays healthy for maxEjectionMs. */
  ejections = 0;

  constructor(
    readonly model: string,
    readonly region: string,
    windowMs: number,
  ) {
    this.window = new RollingWindow(windowMs);
  }
}

export class OutlierDetector {
  private readonly byModel = new Map<string, Map<string, RegionHealth>>();

  constructor(private config: OutlierConfig) {}

  /** A reload: new thresholds apply from the next outcome; windows already made keep their length. */
  reconfigure(config: OutlierConfig): void {
    this.config = config;
  }

  health(model: string, region: string): RegionHealth {
    let regions = this.byModel.get(model);
    if (regions === undefined) {
      regions = new Map();
      this.byModel.set(model, regions);
    }
    let h = regions.get(region);
    if (h === undefined) {
      h = new RegionHealth(model, region, this.config.windowMs);
      regions.set(region, h);
    }
    return h;
  }

  peek(model: string, region: string): RegionHealth | undefined {
    return this.byModel.get(model)?.get(region);
  }

  peers(model: string): Iterable<RegionHealth> {
    return this.byModel.get(model)?.values() ?? [];
  }

  /** Records one attempt; returns a new ejection when this outcome triggers one. */
  record(
    h: RegionHealth,
    outcome: OutcomeClass,
    latencyS: number | null,
    detail: string,
    nowMs: number,
  ): Ejection | null {
    const w = h.window;
    w.add(ATTEMPTS, 1, nowMs);
    if (latencyS !== null) {
      w.add(LATENCY_SUM, latencyS, nowMs);
      w.add(LATENCY_COUNT, 1, nowMs);
    }
    if (outcome === 'failure') {
      w.add(FAILURES, 1, nowMs);
      h.consecutiveFailures++;
      h.lastFailure = detail;
    } else {
      h.consecutiveFailures = 0;
      if (outcome === 'status429') w.add(STATUS_429, 1, nowMs);
      else if (outcome === 'status400') w.add(STATUS_400, 1, nowMs);
    }
    if (!this.config.enabled || (h.ejection !== null && nowMs < h.ejection.untilMs)) return null;
    if (outcome === 'failure') return this.judgeFailures(h, nowMs);
    if (outcome === 'status400' && this.config.status400) return this.judge400(h, nowMs);
    return null;
  }

  private judgeFailures(h: RegionHealth, nowMs: number): Ejection | null {
    if (h.consecutiveFailures >= this.config.consecutiveFailures) {
      return this.eject(h, 'failure', `${h.consecutiveFailures} consecutive failures (last: ${h.lastFailure})`, nowMs);
    }
    const attempts = h.window.sum(ATTEMPTS, nowMs);
    if (attempts < this.config.minRequests) return null;
    const rate = h.window.sum(FAILURES, nowMs) / attempts;
    if (rate < this.config.failureRate) return null;
    return this.eject(
      h,
      'failure',
      `failure rate ${rate.toFixed(2)} >= ${this.config.failureRate} over ${attempts} attempts (last: ${h.lastFailure})`,
      nowMs,
    );
  }

  /**
   * A 400 is normally the client's fault; a region is suspect only when its 400 rate is
   * high and far above what the same model's other regions see. A client that sends bad
   * requests everywhere raises every region's rate together, and ejects nothing.
   *
   * Judged over the whole window and over its newest 30% alone: a fault that starts
   * mid-window shows in the recent span seconds before the older successes have slid
   * out (a broken engine answering 400 to 60% of requests crosses a 0.5 rate over a
   * 10 s window only after about 8 s; over the newest 3 s, after about 2.5 s). Both
   * spans need minRequests attempts, in the region and in its peers.
   */
  private judge400(h: RegionHealth, nowMs: number): Ejection | null {
    const recent = this.judge400Over(h, RECENT_BUCKETS, nowMs);
    if (recent !== null) return recent;
    return this.judge400Over(h, Number.POSITIVE_INFINITY, nowMs);
  }

  private judge400Over(h: RegionHealth, buckets: number, nowMs: number): Ejection | null {
    const attempts = h.window.sumRecent(ATTEMPTS, buckets, nowMs);
    if (attempts < this.config.minRequests) return null;
    const rate = h.window.sumRecent(STATUS_400, buckets, nowMs) / attempts;
    if (rate < this.config.status400MinRate) return null;
    let peerAttempts = 0;
    let peer400 = 0;
    for (const p of this.peers(h.model)) {
      if (p === h || (p.ejection !== null && nowMs < p.ejection.untilMs)) continue;
      peerAttempts += p.window.sumRecent(ATTEMPTS, buckets, nowMs);
      peer400 += p.window.sumRecent(STATUS_400, buckets, nowMs);
    }
    // Without enough traffic elsewhere there is nothing to compare with: do not guess.
    if (peerAttempts < this.config.minRequests) return null;
    const peerRate = peer400 / peerAttempts;
    if (rate - peerRate < this.config.status400MinExcess) return null;
    return this.eject(
      h,
      'status400',
      `400 rate ${rate.toFixed(2)} vs ${peerRate.toFixed(2)} in peer regions for model ${h.model}`,
      nowMs,
    );
  }

  /**
   * Whether a 400 from the region may be the region's rather than the client's: over
   * its newest bucket (or the recent span, when that bucket holds too few) its 400 rate
   * is already status400MinExcess above its peers', on at least SUSPECT_MIN_ATTEMPTS attempts, though not yet on the minRequests an ejection
   * needs. In that window (about 2.5 s for a broken engine) a 400 is worth one retry
   * elsewhere; once ejected, the region gets no traffic at all.
   */
  suspect400(model: string, region: string, nowMs: number): boolean {
    return this.excess400(model, region, nowMs) !== null;
  }

  /** The region's recent 400 rate and its peers', when it makes the region suspect (see suspect400); else null. */
  excess400(model: string, region: string, nowMs: number): { readonly rate: number; readonly peerRate: number } | null {
    if (!this.config.enabled || !this.config.status400) return null;
    const h = this.peek(model, region);
    if (h === undefined) return null;
    // The newest bucket alone, where it holds enough attempts: a fault that has just
    // begun shows there a second or two before the recent span (RECENT_BUCKETS) says
    // it, and most of an engine fault's 400s before ejection fall in that time.
    let span = 1;
    let attempts = h.window.sumRecent(ATTEMPTS, span, nowMs);
    if (attempts < SUSPECT_MIN_ATTEMPTS) {
      span = RECENT_BUCKETS;
      attempts = h.window.sumRecent(ATTEMPTS, span, nowMs);
      if (attempts < SUSPECT_MIN_ATTEMPTS) return null;
    }
    const rate = h.window.sumRecent(STATUS_400, span, nowMs) / attempts;
    let peerAttempts = 0;
    let peer400 = 0;
    for (const p of this.peers(model)) {
      if (p === h || (p.ejection !== null && nowMs < p.ejection.untilMs)) continue;
      peerAttempts += p.window.sumRecent(ATTEMPTS, span, nowMs);
      peer400 += p.window.sumRecent(STATUS_400, span, nowMs);
    }
    if (peerAttempts < SUSPECT_MIN_ATTEMPTS) return null;
    const peerRate = peer400 / peerAttempts;
    return rate - peerRate >= this.config.status400MinExcess ? { rate, peerRate } : null;
  }

  private eject(h: RegionHealth, kind: Ejection['kind'], reason: string, nowMs: number): Ejection {
    const previous = h.ejection;
    const healthySince = previous === null ? -Infinity : previous.untilMs;
    h.ejections = nowMs - healthySince < this.config.maxEjectionMs ? h.ejections + 1 : 1;
    const durationMs = Math.min(this.config.baseEjectionMs * h.ejections, this.config.maxEjectionMs);
    h.ejection = { kind, reason, sinceMs: nowMs, untilMs: nowMs + durationMs };
    // A returning region is judged on what it does after its return.
    h.window.reset();
    h.consecutiveFailures = 0;
    return h.ejection;
  }
}

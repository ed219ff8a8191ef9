// Turns what a run saw (the clients' records, the fleet's samples and final counters)
// into the figures of replay/results.json. Pure: no I/O, no clock.
import { BOUNDARIES, REGION_NAMES } from './fleet.js';
import type { ClientRecord } from './sdk-client.js';
import type { ControlRegion, Sample } from './timeline.js';
import type { Incident, PolicyResult, PolicySpec, RouterEvent, Series } from './types.js';

/** Chart resolution, in incident seconds. */
export const BIN_S = 0.5;
/** Recovery is judged on one-second windows of requests, in incident seconds. */
const RECOVERY_WINDOW_S = 1;
/** A window counts as recovered at no more than the policy's own failure rate before the fault plus this. */
const RECOVERY_MARGIN = 0.02;

export interface RunObservations {
  readonly incident: Incident;
  readonly policy: PolicySpec;
  readonly scale: number;
  readonly records: readonly ClientRecord[];
  readonly routerRejectionsMs: readonly number[];
  readonly samples: readonly Sample[];
  /** The fleet's counters when the run ended (they start at 0 with the fleet). */
  readonly final: readonly ControlRegion[];
  readonly routerEvents: readonly RouterEvent[];
}

const ok = (r: ClientRecord): boolean => r.status >= 200 && r.status < 400;

function rateOf(records: readonly ClientRecord[]): number | null {
  return records.length === 0 ? null : records.filter((r) => !ok(r)).length / records.length;
}

/** Requests grouped by the window of incident time they were sent in. */
function windows(records: readonly ClientRecord[], widthS: number, scale: number, seconds: number): ClientRecord[][] {
  const n = Math.ceil(seconds / widthS - 1e-9);
  const out: ClientRecord[][] = Array.from({ length: n }, () => []);
  for (const r of records) {
    const i = Math.min(n - 1, Math.floor(r.tMs / 1000 / scale / widthS));
    (out[i] as ClientRecord[]).push(r);
  }
  return out;
}

export function recoverySeconds(o: RunObservations): number | null {
  const { incident, scale } = o;
  const before = o.records.filter((r) => r.tMs / 1000 / scale < incident.fault.startS);
  const threshold = (rateOf(before) ?? 0) + RECOVERY_MARGIN;
  const wins = windows(o.records, RECOVERY_WINDOW_S, scale, incident.seconds);
  const first = Math.ceil(incident.fault.endS / RECOVERY_WINDOW_S - 1e-9);
  let recoveredFrom: number | null = null;
  for (let i = wins.length - 1; i >= first; i--) {
    const rate = rateOf(wins[i] as ClientRecord[]);
    if (rate !== null && rate > threshold) break;
    recoveredFrom = i;
  }
  return recoveredFrom === null ? null : recoveredFrom * RECOVERY_WINDOW_S - incident.fault.endS;
}

function series(o: RunObservations): Series {
  const { incident, scale, samples } = o;
  const n = Math.ceil(incident.seconds / BIN_S - 1e-9);
  const counts = Array.from({ length: n }, () => REGION_NAMES.map(() => 0));
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as Sample;
    const b = samples[i] as Sample;
    const bin = Math.floor(b.tMs / 1000 / scale / BIN_S);
    if (bin >= n) continue;
    const row = counts[bin] as number[];
    b.regions.forEach((r, k) => {
      row[k] = (row[k] as number) + r.received - (a.regions[k] as (typeof a.regions)[number]).received;
    });
  }
  const shares = counts.map((c) => {
    const total = c.reduce((x, y) => x + y, 0);
    return c.map((x) => (total === 0 ? 0 : Math.round((1000 * x) / total) / 1000));
  });
  const failureRate = windows(o.records, BIN_S, scale, incident.seconds).map((w) => {
    const rate = rateOf(w);
    return rate === null ? null : Math.round(rate * 1000) / 1000;
  });
  return { binS: BIN_S, shares, failureRate };
}

interface CapacityFigures {
  peakUtilisation: number;
  secondsOverCapacity: number;
  idleWhileRejecting: number | null;
}

function capacityFigures(o: RunObservations): CapacityFigures {
  // The fleet's capacity as configured (the first sample, before any event changes it).
  const totalCapacity = o.samples[0]?.regions.reduce((s, r) => s + r.capacity, 0) ?? 0;
  let peak = 0;
  let over = 0;
  let idleSum = 0;
  let rejectingSamples = 0;
  const rejections = [...o.routerRejectionsMs].sort((a, b) => a - b);
  let next = 0;
  for (let i = 0; i < o.samples.length; i++) {
    const s = o.samples[i] as Sample;
    for (const r of s.regions) {
      if (r.listening && r.capacity > 0) peak = Math.max(peak, r.inUse / r.capacity);
    }
    // Router rejections up to this sample fall in its interval.
    let routerRejected = false;
    while (next < rejections.length && (rejections[next] as number) <= s.tMs) {
      routerRejected = true;
      next++;
    }
    if (i === 0) continue;
    const prev = o.samples[i - 1] as Sample;
    const dt = (s.tMs - prev.tMs) / 1000;
    const full = s.regions.map((r, k) => r.rejectedFull > (prev.regions[k] as typeof r).rejectedFull);
    over += full.filter(Boolean).length * dt;
    if (!routerRejected && !full.some(Boolean)) continue;
    rejectingSamples++;
    let idle = 0;
    s.regions.forEach((r, k) => {
      if (!full[k] && r.listening) idle += Math.max(0, r.capacity - r.inUse);
    });
    idleSum += totalCapacity > 0 ? idle / totalCapacity : 0;
  }
  return {
    peakUtilisation: Math.round(peak * 1000) / 1000,
    secondsOverCapacity: Math.round(over * 100) / 100,
    idleWhileRejecting: rejectingSamples === 0 ? null : Math.round((1000 * idleSum) / rejectingSamples) / 1000,
  };
}

export function boundaryViolations(final: readonly ControlRegion[]): number {
  let n = 0;
  for (const r of final) {
    for (const [deployment, count] of Object.entries(r.stats.receivedByDeployment)) {
      const boundary = BOUNDARIES.get(deployment);
      // A name no deployment has is outside every boundary too.
      if (boundary === undefined || !boundary.has(r.region)) n += count;
    }
  }
  return n;
}

/** Tokens of the requests sent and of the failed ones, when the requests have sizes. */
function tokenFigures(records: readonly ClientRecord[]): { sentTokens?: number; failedTokens?: number } {
  if (!records.some((r) => r.tokens !== undefined)) return {};
  const sum = (rs: readonly ClientRecord[]): number => rs.reduce((s, r) => s + (r.tokens ?? 0), 0);
  return { sentTokens: sum(records), failedTokens: sum(records.filter((r) => !ok(r))) };
}

/** Nearest-rank percentile (p in (0, 1]) of ascending values; null for none. */
function percentile(ascending: readonly number[], p: number): number | null {
  const n = ascending.length;
  return n === 0 ? null : (ascending[Math.min(n - 1, Math.ceil(p * n) - 1)] as number);
}

type TimeToAnswer = Required<
  Pick<
    PolicyResult,
    'timeToAnswerP50Ms' | 'timeToAnswerP99Ms' | 'interactiveTimeToAnswerP50Ms' | 'interactiveTimeToAnswerP99Ms'
  >
>;

/**
 * The served requests' time from their arrival to their answer, the client's waits and
 * retries included: what a spent quota costs when the clients wait it out and nothing
 * fails. Failed requests are counted as failures, not here.
 */
export function timeToAnswer(records: readonly ClientRecord[]): TimeToAnswer {
  const ascending = (rs: readonly ClientRecord[]): number[] =>
    rs
      .filter(ok)
      .map((r) => r.endMs - r.tMs)
      .sort((a, b) => a - b);
  const all = ascending(records);
  const interactive = ascending(records.filter((r) => !r.backlog));
  const ms = (x: number | null): number | null => (x === null ? null : Math.round(x));
  return {
    timeToAnswerP50Ms: ms(percentile(all, 0.5)),
    timeToAnswerP99Ms: ms(percentile(all, 0.99)),
    interactiveTimeToAnswerP50Ms: ms(percentile(interactive, 0.5)),
    interactiveTimeToAnswerP99Ms: ms(percentile(interactive, 0.99)),
  };
}

export function measure(o: RunObservations): PolicyResult {
  const { records, incident, scale } = o;
  const failed = records.filter((r) => !ok(r));
  const count = (test: (r: ClientRecord) => boolean): number => failed.filter(test).length;
  const phase = (r: ClientRecord): 'before' | 'during' | 'after' => {
    const tS = r.tMs / 1000 / scale;
    return tS < incident.fault.startS ? 'before' : tS < incident.fault.endS ? 'during' : 'after';
  };
  const failedByDeployment: Record<string, number> = {};
  for (const r of failed) failedByDeployment[r.deployment] = (failedByDeployment[r.deployment] ?? 0) + 1;
  const sum = (f: (r: ControlRegion) => number): number => o.final.reduce((s, r) => s + f(r), 0);
  const upstreamAttempts = sum((r) => r.stats.received);
  const clientAttempts = records.reduce((s, r) => s + r.attempts, 0);
  return {
    policy: o.policy.name,
    kind: o.policy.kind,
    sent: records.length,
    ok: records.length - failed.length,
    failed: failed.length,
    failedRate: records.length === 0 ? 0 : Math.round((1e5 * failed.length) / records.length) / 1e5,
    status429: count((r) => r.status === 429),
    status400: count((r) => r.status === 400),
    status5xx: count((r) => r.status >= 500),
    transportErrors: count((r) => r.status === 0),
    unfinished: count((r) => !r.done),
    routerAnswered: count((r) => r.routerAnswered),
    failedByDeployment,
    ...tokenFigures(records),
    sentBacklog: records.filter((r) => r.backlog).length,
    failedBacklog: count((r) => r.backlog),
    failedInteractive: count((r) => !r.backlog),
    failedBeforeFault: count((r) => phase(r) === 'before'),
    failedDuringFault: count((r) => phase(r) === 'during'),
    failedAfterFault: count((r) => phase(r) === 'after'),
    ...timeToAnswer(records),
    clientAttempts,
    upstreamAttempts,
    retryAmplification: records.length === 0 ? 0 : Math.round((1000 * upstreamAttempts) / records.length) / 1000,
    upstreamPerClientAttempt: clientAttempts === 0 ? 0 : Math.round((1000 * upstreamAttempts) / clientAttempts) / 1000,
    backend429: sum((r) => r.stats.rejected429),
    backend400: sum((r) => r.stats.status400),
    ...capacityFigures(o),
    recoverySeconds: recoverySeconds(o),
    boundaryViolations: boundaryViolations(o.final),
    routerEvents: o.routerEvents,
    series: series(o),
  };
}

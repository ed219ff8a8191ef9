// The planner: config + telemetry + the router's own load and health view -> one
// deployment's plan. Pure: no I/O, no clock (now is passed in), no randomness.
import type { DeploymentTopology } from '../topology/topology.js';
import { estimateRoom, median } from './estimate.js';
import type { RegionLoad } from './load-estimate.js';
import { boundedShares, proportionalShares } from './shares.js';
import type {
  DeploymentPlan,
  EstimateSource,
  PickRule,
  PlannerInput,
  RegionPlan,
  RegionState,
  Rejection,
  RoutingMode,
} from './types.js';

const BASELINE_REASON: Readonly<Record<Exclude<PlannerInput['settings']['policy'], 'adaptive'>, string>> = {
  static: 'policy static: fixed weights, telemetry is not used',
  'round-robin': 'policy round-robin: every region in turn, telemetry is not used',
  'reported-headroom': 'policy reported-headroom: shares follow the reported headroom; no fresh data counts as zero',
};

interface Observed {
  region: string;
  kind: 'failure' | 'status400' | null;
  sinceMs: number;
  servable: boolean;
  fresh: boolean;
  ageMs: number | null;
  load: RegionLoad;
  /** The room weighed: the load estimate's when fresh, else an estimate. */
  room: number | null;
  estimate: EstimateSource | null;
  state: RegionState;
  stateReason: string | null;
  weightFactor: number;
  untilMs: number | null;
  weightCapped: boolean;
}

function observe(dep: DeploymentTopology, input: PlannerInput, nowMs: number): Observed[] {
  const servableSet = new Set(dep.servable);
  const out: Observed[] = dep.boundary.map((region) => {
    const load = input.load(dep.model, region);
    const report = load.report;
    const ageMs = report === undefined ? null : Math.max(0, nowMs - report.atMs);
    const fresh = ageMs !== null && ageMs <= input.settings.staleAfterMs;
    const servable = servableSet.has(region);
    const avail = servable ? input.availability(dep.model, region) : undefined;
    return {
      region,
      kind: avail?.kind ?? null,
      sinceMs: avail?.sinceMs ?? 0,
      servable,
      fresh,
      ageMs,
      load,
      room: fresh ? load.room : null,
      estimate: null,
      state: servable ? (avail?.state ?? 'active') : 'no-backend',
      stateReason: servable ? (avail?.reason ?? null) : 'no backend configured in this region',
      weightFactor: avail?.state === 'slow-start' || avail?.state === 'suspect' ? avail.weightFactor : 1,
      untilMs: avail?.untilMs ?? null,
      weightCapped: false,
    };
  });
  capEjections(out, input.settings.maxEjectionPercent);
  const freshMedian = median(out.filter((o) => o.servable && o.fresh).map((o) => o.room as number));
  for (const o of out) {
    if (!o.servable || o.fresh) continue;
    const lastKnown = o.load.room === null ? null : { room: o.load.room, ageMs: o.ageMs as number };
    const est = estimateRoom(lastKnown, freshMedian, input.settings.estimateMaxAgeMs);
    o.room = est.room;
    o.estimate = est.source;
  }
  return out;
}

/**
 * Honours ejections oldest first, up to maxEjectionPercent of the servable regions
 * (Envoy's max_ejection_percent), and never ejects the last serving region for 400
 * anomalies alone: a 400 may still be the client's fault.
 */
/** States whose regions take traffic (slow start and suspect at a part of their weight). */
function isServing(state: RegionState): boolean {
  return state === 'active' || state === 'slow-start' || state === 'suspect';
}

function capEjections(observed: Observed[], maxEjectionPercent: number): void {
  const servable = observed.filter((o) => o.servable);
  const allowed = Math.floor((maxEjectionPercent / 100) * servable.length + 1e-9);
  // Hard failures first, then 400 anomalies, each oldest first.
  const rank = (o: Observed): number => (o.kind === 'status400' ? 1 : 0);
  const candidates = servable
    .filter((o) => o.state === 'ejected')
    .sort((a, b) => rank(a) - rank(b) || a.sinceMs - b.sinceMs || (a.region < b.region ? -1 : 1));
  let serving = servable.filter((o) => isServing(o.state)).length + candidates.length;
  let honoured = 0;
  for (const c of candidates) {
    const lastFor400 = c.kind === 'status400' && serving <= 1;
    if (honoured < allowed && !lastFor400) {
      honoured++;
      serving--;
      continue;
    }
    c.stateReason = lastFor400
      ? `not ejected (${c.stateReason ?? 'outlier'}): the last serving region is never ejected for 400s alone`
      : `not ejected (${c.stateReason ?? 'outlier'}): at most ${maxEjectionPercent}% of ${servable.length} regions may be ejected`;
    c.state = 'active';
    c.untilMs = null;
  }
}

function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

interface Decided {
  readonly mode: RoutingMode;
  readonly reason: string;
  readonly awaitingFirstTelemetry: boolean;
}

function decideMode(input: PlannerInput, coverage: number, unseen: readonly string[], nowMs: number): Decided {
  const { source } = input.telemetry;
  const { staleAfterMs } = input.settings;
  const lastError = source.lastError === null ? '' : `; last error: ${source.lastError}`;
  if (input.sourceStatus === 'stale') {
    if (source.lastSuccessAtMs === null) {
      // Every start waits for its first poll; only staleAfterMs without any is late.
      const sinceStartMs = Math.max(0, nowMs - input.startedAtMs);
      const awaiting = sinceStartMs <= staleAfterMs;
      const why = awaiting
        ? 'no telemetry received yet'
        : `no telemetry received yet: none in ${fmtSeconds(sinceStartMs)} since the start (staleAfterMs ${staleAfterMs})`;
      return { mode: 'conservative', reason: why + lastError, awaitingFirstTelemetry: awaiting };
    }
    const why = `telemetry stale: no source has delivered for ${fmtSeconds(nowMs - source.lastSuccessAtMs)} (staleAfterMs ${staleAfterMs})`;
    return { mode: 'conservative', reason: why + lastError, awaitingFirstTelemetry: false };
  }
  const cov = coverage.toFixed(2);
  const min = input.settings.minCoverage.toFixed(2);
  if (coverage < input.settings.minCoverage) {
    return {
      mode: 'conservative',
      reason: `coverage ${cov} < ${min}: no fresh data for ${unseen.join(', ')}`,
      awaitingFirstTelemetry: false,
    };
  }
  const estimated = unseen.length === 0 ? '' : `; estimated: ${unseen.join(', ')}`;
  return {
    mode: 'normal',
    reason: `coverage ${cov} >= ${min}: shares follow each region's room (capacity minus other clients' load)${estimated}`,
    awaitingFirstTelemetry: false,
  };
}

/**
 * How loud a plan's mode is logged: conservative routing is a warning, except while a
 * router that has just started waits for its first telemetry (awaitingFirstTelemetry).
 */
export function modeLogLevel(plan: Pick<DeploymentPlan, 'mode' | 'awaitingFirstTelemetry'>): 'info' | 'warn' {
  return plan.mode === 'conservative' && !plan.awaitingFirstTelemetry ? 'warn' : 'info';
}

/**
 * The baselines. static and round-robin ignore telemetry; reported-headroom trusts it
 * blindly: the reported headroom as it is, a region without fresh data as zero.
 */
function baselineWeights(active: Observed[], input: PlannerInput): Weights {
  const { policy, staticWeights } = input.settings;
  const weights = active.map((o) => {
    if (policy === 'static') return (staticWeights[o.region] ?? 1) * o.weightFactor;
    if (policy !== 'reported-headroom') return o.weightFactor;
    const r = o.load.report;
    return o.fresh && r !== undefined ? Math.max(r.capacity - r.inUse, 0) * o.weightFactor : 0;
  });
  return { weights, rooms: weights, note: '' };
}

interface Weights {
  /** Alias-table weights. */
  readonly weights: number[];
  /** The room each region has for this router, as the pick compares it. */
  readonly rooms: number[];
  readonly note: string;
}

function weightsFor(active: Observed[], mode: RoutingMode, input: PlannerInput, model: string): Weights {
  const known = active.filter((o) => o.room !== null).map((o) => o.room as number);
  // With nothing known at all, every region counts the same.
  const fallback = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
  const rooms = active.map((o) => (o.room ?? fallback) * o.weightFactor);
  if (mode === 'conservative') {
    const weights = rooms.map((r, i) => r * input.passiveFactor(model, (active[i] as Observed).region));
    return { weights, rooms, note: '' };
  }
  if (!rooms.some((r) => r > 0)) {
    // No region has room by the estimate. An estimate is no reason to refuse what the
    // fleet may still take: spread evenly (slow start still applies) and let the
    // backends answer; their 429s are retried elsewhere and passed on.
    return {
      weights: active.map((o) => o.weightFactor),
      rooms,
      note: '; no room left by the estimate: spread evenly, the backends decide',
    };
  }
  const weights = capWeights(rooms, active, input.settings.maxWeightRatio);
  const capped = active.filter((o) => o.weightCapped).map((o) => o.region);
  const note =
    capped.length === 0
      ? ''
      : `; weight capped at ${input.settings.maxWeightRatio}x the peers' mean: ${capped.join(', ')}`;
  return { weights, rooms: weights, note };
}

/**
 * No weight above ratio x the mean of its peers' weights (gRPC's weighted round robin
 * caps at 10x the mean for the same reason): one absurd report cannot take all traffic.
 */
function capWeights(weights: readonly number[], active: Observed[], ratio: number): number[] {
  const n = weights.length;
  if (n < 2) return [...weights];
  // Each region's peers summed without it (prefix + suffix), not as total minus its own:
  // next to an absurd weight such as 1e300, total - w rounds the peers away to 0.
  const before = new Array<number>(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    before[i] = sum;
    sum += weights[i] as number;
  }
  const capped = new Array<number>(n);
  let after = 0;
  for (let i = n - 1; i >= 0; i--) {
    const w = weights[i] as number;
    // Peers with no room at all leave nothing to compare with: the one with room keeps it.
    const cap = (ratio * ((before[i] as number) + after)) / (n - 1);
    after += w;
    if (w <= cap || cap <= 0) {
      capped[i] = w;
      continue;
    }
    (active[i] as Observed).weightCapped = true;
    capped[i] = cap;
  }
  return capped;
}

function rejectionFor(observed: readonly Observed[], input: PlannerInput, nowMs: number, serving: number): Rejection {
  if (serving > 0) {
    // Only the reported-headroom baseline gets here: it refuses what the table calls full.
    return {
      status: 429,
      code: 'NoCapacity',
      message: 'every eligible region reports no headroom',
      retryAfterS: 1,
    };
  }
  const cooling = observed.filter((o) => o.state === 'cooldown' && o.untilMs !== null);
  const timed = (cooling.length > 0 ? cooling : observed).filter((o) => o.untilMs !== null);
  const earliest = timed.length === 0 ? null : Math.min(...timed.map((o) => o.untilMs as number));
  const retryAfterS =
    earliest === null ? input.settings.unavailableRetryAfterS : Math.max(1, Math.ceil((earliest - nowMs) / 1000));
  const why = observed
    .map((o) => `${o.region} ${o.state}${o.stateReason === null ? '' : ` (${o.stateReason})`}`)
    .join(', ');
  if (cooling.length > 0) {
    return {
      status: 429,
      code: 'NoCapacity',
      message: `every eligible region is cooling down or full: ${why}`,
      retryAfterS,
    };
  }
  return {
    status: 503,
    code: 'NoRegionAvailable',
    message: `no region of the boundary can serve: ${why}`,
    retryAfterS,
  };
}

function regionPlan(o: Observed, share: number): RegionPlan {
  const { roomCap } = o.load;
  const room = o.room === null || roomCap === null ? o.room : Math.min(o.room, roomCap);
  return {
    region: o.region,
    share,
    fresh: o.fresh,
    ageMs: o.ageMs,
    capacity: o.load.report?.capacity ?? null,
    inUse: o.load.report?.inUse ?? null,
    capacitySource: o.load.report?.capacitySource ?? null,
    inUseSource: o.load.report?.inUseSource ?? null,
    sources: o.load.report?.sources ?? [],
    ownInFlight: o.load.ownInFlight,
    ownAtReport: o.load.ownAtReport,
    othersLoad: o.load.othersLoad,
    room: o.room,
    headroom: room === null ? null : Math.max(0, room - o.load.ownLoad),
    roomCap: o.load.roomCap,
    capUntilMs: o.load.capUntilMs,
    estimate: o.estimate,
    state: o.state,
    stateReason: o.stateReason,
    stateUntilMs: o.untilMs,
    weightFactor: o.weightFactor,
    weightCapped: o.weightCapped,
  };
}

export function planDeployment(dep: DeploymentTopology, input: PlannerInput, nowMs: number): DeploymentPlan {
  const observed = observe(dep, input, nowMs);
  const servable = observed.filter((o) => o.servable);
  const freshCount = servable.filter((o) => o.fresh).length;
  const coverage = servable.length === 0 ? 0 : freshCount / servable.length;
  const unseen = servable.filter((o) => !o.fresh).map((o) => o.region);
  const { policy } = input.settings;
  const adaptive = policy === 'adaptive';
  const decided: Decided = adaptive
    ? decideMode(input, coverage, unseen, nowMs)
    : { mode: 'normal', reason: BASELINE_REASON[policy], awaitingFirstTelemetry: false };
  const mode = decided.mode;

  const active = servable.filter((o) => isServing(o.state));
  let shares: number[] | null = null;
  let rooms: number[] = [];
  let note = '';
  if (active.length > 0) {
    const w = adaptive ? weightsFor(active, mode, input, dep.model) : baselineWeights(active, input);
    rooms = w.rooms;
    note = w.note;
    if (mode === 'conservative') {
      const n = active.length;
      shares = boundedShares(w.weights, input.settings.minShareFactor / n, input.settings.maxShareFactor / n);
    } else shares = proportionalShares(w.weights);
  }

  const shareOf = new Map<string, number>();
  const roomOf = new Map<string, number>();
  active.forEach((o, i) => {
    shareOf.set(o.region, shares === null ? 0 : (shares[i] as number));
    roomOf.set(o.region, rooms[i] as number);
  });
  const routable = active.filter((o) => (shareOf.get(o.region) ?? 0) > 0).map((o) => o.region);
  let pick: PickRule = 'weighted';
  if (policy === 'round-robin') pick = 'rotate';
  else if (adaptive && mode === 'normal' && input.settings.pickByLoad && routable.length > 1) pick = 'by-load';

  return {
    name: dep.name,
    model: dep.model,
    type: dep.type,
    boundary: dep.boundary,
    unit: dep.capacityUnit,
    mode,
    reason: decided.reason + note,
    awaitingFirstTelemetry: decided.awaitingFirstTelemetry,
    coverage,
    pick,
    roomKnown: adaptive && mode === 'normal',
    regions: observed.map((o) => regionPlan(o, shareOf.get(o.region) ?? 0)),
    routable,
    shares: routable.map((r) => shareOf.get(r) as number),
    rooms: routable.map((r) => roomOf.get(r) as number),
    rejection: routable.length === 0 ? rejectionFor(observed, input, nowMs, active.length) : null,
  };
}

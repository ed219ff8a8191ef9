// The planner: config + telemetry + the router's own health view -> one deployment's
// plan. Pure: no I/O, no clock (now is passed in), no randomness.
import type { DeploymentTopology } from '../topology/topology.js';
import { headroomOf } from '../telemetry/report.js';
import { estimateHeadroom, median } from './estimate.js';
import { boundedShares, proportionalShares } from './shares.js';
import type {
  DeploymentPlan,
  EstimateSource,
  PlannerInput,
  RegionPlan,
  RegionState,
  Rejection,
  RoutingMode,
} from './types.js';

interface Observed {
  region: string;
  kind: 'failure' | 'status400' | null;
  sinceMs: number;
  servable: boolean;
  fresh: boolean;
  ageMs: number | null;
  capacity: number | null;
  inUse: number | null;
  headroom: number | null;
  estimate: EstimateSource | null;
  state: RegionState;
  stateReason: string | null;
  weightFactor: number;
  untilMs: number | null;
}

function observe(dep: DeploymentTopology, input: PlannerInput, nowMs: number): Observed[] {
  const servableSet = new Set(dep.servable);
  const out: Observed[] = dep.boundary.map((region) => {
    const report = input.telemetry.report(dep.model, region);
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
      capacity: report?.capacity ?? null,
      inUse: report?.inUse ?? null,
      headroom: report !== undefined && fresh ? headroomOf(report) : null,
      estimate: null,
      state: servable ? (avail?.state ?? 'active') : 'no-backend',
      stateReason: servable ? (avail?.reason ?? null) : 'no backend configured in this region',
      weightFactor: avail?.state === 'slow-start' ? avail.weightFactor : 1,
      untilMs: avail?.untilMs ?? null,
    };
  });
  capEjections(out, input.settings.maxEjectionPercent);
  const freshMedian = median(out.filter((o) => o.servable && o.fresh).map((o) => o.headroom as number));
  for (const o of out) {
    if (!o.servable || o.fresh) continue;
    const lastKnown =
      o.capacity === null || o.inUse === null
        ? null
        : { headroom: headroomOf({ capacity: o.capacity, inUse: o.inUse }), ageMs: o.ageMs as number };
    const est = estimateHeadroom(lastKnown, freshMedian, input.settings.estimateMaxAgeMs);
    o.headroom = est.headroom;
    o.estimate = est.source;
  }
  return out;
}

/**
 * Honours ejections oldest first, up to maxEjectionPercent of the servable regions
 * (Envoy's max_ejection_percent), and never ejects the last serving region for 400
 * anomalies alone: a 400 may still be the client's fault.
 */
function capEjections(observed: Observed[], maxEjectionPercent: number): void {
  const servable = observed.filter((o) => o.servable);
  const allowed = Math.floor((maxEjectionPercent / 100) * servable.length + 1e-9);
  // Hard failures first, then 400 anomalies, each oldest first.
  const rank = (o: Observed): number => (o.kind === 'status400' ? 1 : 0);
  const candidates = servable
    .filter((o) => o.state === 'ejected')
    .sort((a, b) => rank(a) - rank(b) || a.sinceMs - b.sinceMs || (a.region < b.region ? -1 : 1));
  let serving = servable.filter((o) => o.state === 'active' || o.state === 'slow-start').length + candidates.length;
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

function decideMode(
  input: PlannerInput,
  coverage: number,
  unseen: readonly string[],
  nowMs: number,
): { mode: RoutingMode; reason: string } {
  const { source } = input.telemetry;
  const lastError = source.lastError === null ? '' : `; last error: ${source.lastError}`;
  if (input.sourceStatus === 'stale') {
    const why =
      source.lastSuccessAtMs === null
        ? 'no telemetry received yet'
        : `telemetry stale: no successful poll for ${fmtSeconds(nowMs - source.lastSuccessAtMs)} (staleAfterMs ${input.settings.staleAfterMs})`;
    return { mode: 'conservative', reason: why + lastError };
  }
  const cov = coverage.toFixed(2);
  const min = input.settings.minCoverage.toFixed(2);
  if (coverage < input.settings.minCoverage) {
    return { mode: 'conservative', reason: `coverage ${cov} < ${min}: no fresh data for ${unseen.join(', ')}` };
  }
  const estimated = unseen.length === 0 ? '' : `; estimated: ${unseen.join(', ')}`;
  return { mode: 'normal', reason: `coverage ${cov} >= ${min}: shares follow headroom${estimated}` };
}

function weightsFor(active: readonly Observed[], mode: RoutingMode, input: PlannerInput, model: string): number[] {
  const known = active.filter((o) => o.headroom !== null).map((o) => o.headroom as number);
  // With nothing known at all, every region counts the same.
  const fallback = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
  return active.map((o) => {
    const base = o.headroom ?? fallback;
    const passive = mode === 'conservative' ? input.passiveFactor(model, o.region) : 1;
    return base * o.weightFactor * passive;
  });
}

function rejectionFor(
  observed: readonly Observed[],
  active: readonly Observed[],
  input: PlannerInput,
  nowMs: number,
): Rejection {
  if (active.length > 0) {
    return {
      status: 429,
      code: 'NoCapacity',
      message: `every eligible region is out of headroom (${active.map((o) => o.region).join(', ')})`,
      retryAfterS: input.settings.fullRetryAfterS,
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

export function planDeployment(dep: DeploymentTopology, input: PlannerInput, nowMs: number): DeploymentPlan {
  const observed = observe(dep, input, nowMs);
  const servable = observed.filter((o) => o.servable);
  const freshCount = servable.filter((o) => o.fresh).length;
  const coverage = servable.length === 0 ? 0 : freshCount / servable.length;
  const unseen = servable.filter((o) => !o.fresh).map((o) => o.region);
  const { mode, reason } = decideMode(input, coverage, unseen, nowMs);

  const active = servable.filter((o) => o.state === 'active' || o.state === 'slow-start');
  const weights = weightsFor(active, mode, input, dep.model);
  let shares: number[] | null;
  if (active.length === 0) shares = null;
  else if (mode === 'conservative') {
    const n = active.length;
    shares = boundedShares(weights, input.settings.minShareFactor / n, input.settings.maxShareFactor / n);
  } else shares = proportionalShares(weights);

  const shareOf = new Map<string, number>();
  if (shares !== null) active.forEach((o, i) => shareOf.set(o.region, shares[i] as number));
  const routable = active.filter((o) => (shareOf.get(o.region) ?? 0) > 0).map((o) => o.region);
  const routableShares = routable.map((r) => shareOf.get(r) as number);

  const regions: RegionPlan[] = observed.map((o) => ({
    region: o.region,
    share: shareOf.get(o.region) ?? 0,
    fresh: o.fresh,
    ageMs: o.ageMs,
    capacity: o.capacity,
    inUse: o.inUse,
    headroom: o.headroom,
    estimate: o.estimate,
    state: o.state,
    stateReason: o.stateReason,
    stateUntilMs: o.untilMs,
    weightFactor: o.weightFactor,
  }));

  return {
    name: dep.name,
    model: dep.model,
    type: dep.type,
    boundary: dep.boundary,
    mode,
    reason,
    coverage,
    regions,
    routable,
    shares: routableShares,
    rejection: routable.length === 0 ? rejectionFor(observed, active, input, nowMs) : null,
  };
}

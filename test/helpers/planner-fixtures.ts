// Plain-value inputs for the planner: a telemetry view from a list, default settings.
import { type CombinedReport, singleSourceReport } from '../../src/telemetry/combine.js';
import type { SourceState, SourceStatus, TelemetryView } from '../../src/telemetry/store.js';
import { estimateLoad, type RegionLoad } from '../../src/planner/load-estimate.js';
import type { PlannerInput, PlannerSettings, RegionAvailability } from '../../src/planner/types.js';

export const SETTINGS: PlannerSettings = {
  staleAfterMs: 3000,
  estimateMaxAgeMs: 30_000,
  minCoverage: 0.75,
  maxShareFactor: 1.5,
  maxEjectionPercent: 100,
  minShareFactor: 0.25,
  maxWeightRatio: 10,
  unavailableRetryAfterS: 5,
  policy: 'adaptive',
  staticWeights: {},
  pickByLoad: true,
};

/** Without a router's own load, the room for it is the reported headroom. */
export const NO_OWN_LOAD = { loadPerRequest: 1, smoothingMs: 0 };

export const NOW = 1_800_000_000_000;

export function view(reports: readonly CombinedReport[], source: Partial<SourceState> = {}): TelemetryView {
  const byKey = new Map(reports.map((r) => [`${r.model}/${r.region}`, r]));
  return {
    report: (model, region) => byKey.get(`${model}/${region}`),
    source: {
      lastSuccessAtMs: NOW - 100,
      lastAttemptAtMs: NOW - 100,
      lastPollOk: true,
      lastError: null,
      polls: 1,
      failures: 0,
      ...source,
    },
  };
}

/** A report from the JSON source alone. */
export function report(region: string, capacity: number, inUse: number, ageMs = 100, model = 'm'): CombinedReport {
  return singleSourceReport({ region, model, capacity, inUse, atMs: NOW - ageMs });
}

export function input(
  telemetry: TelemetryView,
  opts: {
    status?: SourceStatus;
    settings?: Partial<PlannerSettings>;
    availability?: Record<string, RegionAvailability>;
    passive?: Record<string, number>;
    load?: (model: string, region: string) => RegionLoad;
    /** When the router started; a minute before NOW unless told. */
    startedAtMs?: number;
  } = {},
): PlannerInput {
  return {
    load:
      opts.load ??
      ((model, region) => estimateLoad(telemetry.report(model, region), null, undefined, NO_OWN_LOAD, NOW)),
    telemetry,
    sourceStatus: opts.status ?? 'ok',
    startedAtMs: opts.startedAtMs ?? NOW - 60_000,
    settings: { ...SETTINGS, ...opts.settings },
    availability: (_model, region) => opts.availability?.[region],
    passiveFactor: (_model, region) => opts.passive?.[region] ?? 1,
  };
}

// What one plan rebuild takes, built the way the router builds it: a validated config
// (defaults filled) -> topology and planner settings, plus a telemetry view holding a
// report per region. Copied in spirit from test/helpers/planner-fixtures.ts, not imported.
import { validateConfig } from '../../src/config/index.js';
import { estimateLoad } from '../../src/planner/load-estimate.js';
import type { PlannerInput } from '../../src/planner/types.js';
import { plannerSettingsOf } from '../../src/planner/replanner.js';
import type { RouteTarget } from '../../src/selector/deployment-route.js';
import { LoadCell } from '../../src/telemetry/own-load.js';
import { type CombinedReport, singleSourceReport } from '../../src/telemetry/combine.js';
import type { TelemetryView } from '../../src/telemetry/store.js';
import { buildTopology, type DeploymentTopology } from '../../src/topology/topology.js';
import { seededRandom } from '../../src/sim/loop-model/random.js';

export const NOW = 1_800_000_000_000;
const MODEL = 'm';

export interface RebuildCase {
  readonly label: string;
  readonly regions: number;
  readonly deployment: DeploymentTopology;
  readonly input: PlannerInput;
  readonly upstreamOf: (region: string) => RouteTarget;
}

/**
 * `missingFraction` of the regions have no report at all: above 1 - minCoverage (0.25
 * by default) the deployment turns conservative and those regions get median estimates.
 */
export function rebuildCase(n: number, missingFraction: number, seed: number): RebuildCase {
  const regions = Array.from({ length: n }, (_, i) => `region-${String(i).padStart(4, '0')}`);
  const result = validateConfig({
    zones: { all: regions },
    backends: regions.map((region, i) => ({ region, url: `http://127.0.0.1:${20000 + i}` })),
    deployments: [{ name: 'chat-global', model: MODEL, type: 'global' }],
    telemetry: { url: 'http://127.0.0.1:9/telemetry' },
  });
  if (!result.ok) throw new Error(`bench config rejected:\n${result.errors.join('\n')}`);
  const topology = buildTopology(result.config);
  const deployment = topology.deployments[0];
  if (deployment === undefined) throw new Error('no deployment in the bench topology');

  const rnd = seededRandom(seed);
  const reports = new Map<string, CombinedReport>();
  for (const region of regions) {
    if (rnd() < missingFraction) continue;
    const capacity = 100;
    reports.set(
      region,
      singleSourceReport({
        region,
        model: MODEL,
        capacity,
        inUse: Math.floor(rnd() * 90),
        atMs: NOW - 100 - Math.floor(rnd() * 400),
      }),
    );
  }
  const telemetry: TelemetryView = {
    report: (model, region) => (model === MODEL ? reports.get(region) : undefined),
    source: {
      lastSuccessAtMs: NOW - 100,
      lastAttemptAtMs: NOW - 100,
      lastPollOk: true,
      lastError: null,
      polls: 1,
      failures: 0,
    },
  };
  const input: PlannerInput = {
    telemetry,
    sourceStatus: 'ok',
    startedAtMs: NOW - 60_000,
    settings: plannerSettingsOf(result.config),
    availability: () => undefined,
    passiveFactor: () => 1,
    load: (model, region) => estimateLoad(telemetry.report(model, region), null, undefined, result.config.routing, NOW),
  };
  const upstreams = new Map(regions.map((region) => [region, { region, load: new LoadCell(1) }]));
  const upstreamOf = (region: string): RouteTarget => {
    const u = upstreams.get(region);
    if (u === undefined) throw new Error(`no upstream for ${region}`);
    return u;
  };
  return {
    label: `${n} regions, ${missingFraction === 0 ? 'all reporting' : `${Math.round(missingFraction * 100)}% without reports`}`,
    regions: n,
    deployment,
    input,
    upstreamOf,
  };
}

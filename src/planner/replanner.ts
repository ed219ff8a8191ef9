// Re-planning: every deployment's plan at one moment, from the telemetry held, this
// router's own load and the regions' health. The one thing a re-plan carries to the
// next is the smoothed load of other clients per (model, region), kept here. No I/O,
// no clock, no logging: the caller passes the time and the regions' health, and is told
// which readings were out of bounds.
import type { Config } from '../config/types.js';
import type { SourceStatus, TelemetryStore } from '../telemetry/store.js';
import type { OwnLoad } from '../telemetry/own-load.js';
import type { DeploymentTopology, Topology } from '../topology/topology.js';
import { estimateLoad, type RegionLoad, type SmoothingState } from './load-estimate.js';
import { planDeployment } from './plan-deployment.js';
import type { AvailabilityLookup, DeploymentPlan, PassiveFactorLookup, PlannerSettings } from './types.js';

// Conservative mode keeps every active region warm with at least a quarter of an even share.
export const DEFAULT_MIN_SHARE_FACTOR = 0.25;
const DEFAULT_UNAVAILABLE_RETRY_AFTER_S = 5;
// gRPC's weighted round robin caps weights at 10x the mean for the same reason: one
// absurd report must not take all traffic.
const MAX_WEIGHT_RATIO = 10;

export function plannerSettingsOf(config: Config): PlannerSettings {
  return {
    staleAfterMs: config.telemetry.staleAfterMs,
    estimateMaxAgeMs: config.telemetry.estimateMaxAgeMs,
    minCoverage: config.telemetry.minCoverage,
    maxShareFactor: config.conservative.maxShareFactor,
    maxEjectionPercent: config.outlier.maxEjectionPercent,
    minShareFactor: DEFAULT_MIN_SHARE_FACTOR,
    maxWeightRatio: MAX_WEIGHT_RATIO,
    unavailableRetryAfterS: DEFAULT_UNAVAILABLE_RETRY_AFTER_S,
    policy: config.routing.policy,
    staticWeights: config.routing.staticWeights,
    pickByLoad: config.routing.pickByLoad,
  };
}

/** What one re-plan reads besides the time. */
export interface ReplanInputs {
  readonly store: TelemetryStore;
  readonly ownLoad: OwnLoad;
  readonly sourceStatus: SourceStatus;
  readonly startedAtMs: number;
  readonly availability: AvailabilityLookup;
  readonly passiveFactor: PassiveFactorLookup;
}

/** A (model, region) whose newest reading was out of bounds, with the estimate made of it. */
export interface ClampedReading {
  readonly key: string;
  readonly model: string;
  readonly region: string;
  readonly load: RegionLoad;
}

export class Replanner {
  settings: PlannerSettings;
  private routing: Config['routing'];
  /** Per model, every region of its deployments' boundaries (those without a backend included). */
  private boundaryRegions: ReadonlyMap<string, ReadonlySet<string>>;
  /** The other clients' load per (model, region) as last smoothed, carried to the next re-plan. */
  private smoothing = new Map<string, SmoothingState>();

  constructor(config: Config, topology: Topology) {
    this.settings = plannerSettingsOf(config);
    this.routing = config.routing;
    this.boundaryRegions = boundaryRegionsOf(topology);
  }

  /** A reload: new settings and boundaries; the smoothed load of pairs that remain carries over. */
  reconfigure(config: Config, topology: Topology): void {
    this.settings = plannerSettingsOf(config);
    this.routing = config.routing;
    this.boundaryRegions = boundaryRegionsOf(topology);
  }

  /** Plans every deployment at nowMs; `clamped` receives the pairs whose newest reading was out of bounds (see estimateLoad). */
  plan(
    deployments: Iterable<DeploymentTopology>,
    inputs: ReplanInputs,
    nowMs: number,
    clamped: ClampedReading[],
  ): DeploymentPlan[] {
    const loads = this.estimateLoads(inputs, nowMs, clamped);
    const input = {
      telemetry: inputs.store,
      sourceStatus: inputs.sourceStatus,
      startedAtMs: inputs.startedAtMs,
      settings: this.settings,
      availability: inputs.availability,
      passiveFactor: inputs.passiveFactor,
      load: (model: string, region: string) => loads.get(pairKey(model, region)) as RegionLoad,
    };
    const plans: DeploymentPlan[] = [];
    for (const d of deployments) plans.push(planDeployment(d, input, nowMs));
    return plans;
  }

  /**
   * One load estimate per (model, region), shared by every deployment of the model; a
   * capacity signal that has run out, or that a newer report replaces, is dropped first.
   */
  private estimateLoads(inputs: ReplanInputs, nowMs: number, clamped: ClampedReading[]): Map<string, RegionLoad> {
    const { store, ownLoad } = inputs;
    const loads = new Map<string, RegionLoad>();
    const smoothing = new Map<string, SmoothingState>();
    for (const [model, regions] of this.boundaryRegions) {
      for (const region of regions) {
        const key = pairKey(model, region);
        const report = store.report(model, region);
        const cell = ownLoad.cellOf(model, region);
        cell?.expireCap(nowMs, report?.atMs ?? null);
        const load = estimateLoad(report, cell, this.smoothing.get(key), this.routing, nowMs);
        loads.set(key, load);
        if (load.othersLoad !== null) smoothing.set(key, { othersLoad: load.othersLoad, atMs: nowMs });
        if (load.clamped) clamped.push({ key, model, region, load });
      }
    }
    this.smoothing = smoothing;
    return loads;
  }
}

export function pairKey(model: string, region: string): string {
  return `${model}\u0000${region}`;
}

function boundaryRegionsOf(topology: Topology): Map<string, Set<string>> {
  const boundaryRegions = new Map<string, Set<string>>();
  for (const d of topology.deployments) {
    const regions = boundaryRegions.get(d.model) ?? new Set<string>();
    for (const r of d.boundary) regions.add(r);
    boundaryRegions.set(d.model, regions);
  }
  return boundaryRegions;
}

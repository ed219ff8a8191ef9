// Rebuilds every deployment's plan and route off the hot path (telemetry change,
// ageing tick, passive signal) and swaps them in by reference. Mode changes are
// logged here, once per change, never per request.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { planDeployment } from '../planner/plan-deployment.js';
import type { PlannerSettings, RegionState } from '../planner/types.js';
import type { Resilience } from '../resilience/resilience.js';
import type { Topology } from '../topology/topology.js';
import type { RegionUpstream } from '../proxy/upstream.js';
import { DeploymentRoute } from '../selector/deployment-route.js';
import { sourceStatusOf, type SourceStatus, type TelemetryStore } from '../telemetry/store.js';
import type { DeploymentRuntime } from './deployment-runtime.js';

// Conservative mode keeps every active region warm with at least a quarter of an even share.
export const DEFAULT_MIN_SHARE_FACTOR = 0.25;
const DEFAULT_UNAVAILABLE_RETRY_AFTER_S = 5;

export function plannerSettingsOf(config: Config): PlannerSettings {
  return {
    staleAfterMs: config.telemetry.staleAfterMs,
    estimateMaxAgeMs: config.telemetry.estimateMaxAgeMs,
    minCoverage: config.telemetry.minCoverage,
    maxShareFactor: config.conservative.maxShareFactor,
    maxEjectionPercent: config.outlier.maxEjectionPercent,
    minShareFactor: DEFAULT_MIN_SHARE_FACTOR,
    fullRetryAfterS: Math.max(1, Math.ceil(config.telemetry.intervalMs / 1000)),
    unavailableRetryAfterS: DEFAULT_UNAVAILABLE_RETRY_AFTER_S,
  };
}

export interface RouteStateOptions {
  readonly config: Config;
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  readonly upstreams: ReadonlyMap<string, RegionUpstream>;
  readonly store: TelemetryStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly topology: Topology;
  readonly resilience: Resilience;
}

const STATES: readonly RegionState[] = ['active', 'no-backend', 'ejected', 'cooldown', 'slow-start'];

export class RouteState {
  private readonly settings: PlannerSettings;
  private readonly models: ReadonlySet<string>;
  sourceStatus: SourceStatus = 'stale';
  plannedAtMs = 0;

  constructor(private readonly opts: RouteStateOptions) {
    this.settings = plannerSettingsOf(opts.config);
    this.models = new Set(opts.topology.deployments.map((d) => d.model));
  }

  rebuild(nowMs: number): void {
    const { store, metrics, logger, upstreams } = this.opts;
    const status = sourceStatusOf(store.source, nowMs, this.settings.staleAfterMs);
    if (status !== this.sourceStatus) {
      metrics.sourceUp.labels(this.sourceStatus).set(0);
      logger.info(
        { telemetry: status, previous: this.sourceStatus, lastError: store.source.lastError },
        'telemetry source status changed',
      );
    }
    this.sourceStatus = status;
    metrics.sourceUp.labels(status).set(1);
    const { resilience } = this.opts;
    resilience.observeTelemetry(store, this.models, this.opts.topology.regions, this.settings.staleAfterMs, nowMs);
    const input = {
      telemetry: store,
      sourceStatus: status,
      settings: this.settings,
      availability: (model: string, region: string) => resilience.availability(model, region, nowMs),
      passiveFactor: (model: string, region: string) => resilience.passiveFactor(model, region, nowMs),
    };
    const upstreamOf = (region: string): RegionUpstream => upstreams.get(region) as RegionUpstream;
    for (const deployment of this.opts.deployments.values()) {
      const plan = planDeployment(deployment.topology, input, nowMs);
      const previous = deployment.route?.plan ?? null;
      deployment.route = new DeploymentRoute(plan, upstreamOf);
      if (previous === null || previous.mode !== plan.mode) {
        const log = plan.mode === 'conservative' ? logger.warn.bind(logger) : logger.info.bind(logger);
        log(
          {
            deployment: plan.name,
            mode: plan.mode,
            previousMode: previous?.mode ?? null,
            reason: plan.reason,
            coverage: plan.coverage,
          },
          'routing mode',
        );
        if (previous !== null) metrics.modeChanges.labels(plan.name, plan.mode).inc();
      }
      metrics.mode.labels(plan.name).set(plan.mode === 'conservative' ? 1 : 0);
      metrics.coverage.labels(plan.name).set(plan.coverage);
      // Plans of one deployment list the same boundary in the same order.
      plan.regions.forEach((r, i) => {
        metrics.share.labels(plan.name, r.region).set(r.share);
        metrics.weightFactor.labels(plan.name, r.region).set(r.weightFactor);
        const before = previous?.regions[i];
        if (before !== undefined && before.state === r.state) return;
        for (const state of STATES)
          metrics.regionState.labels(plan.name, r.region, state).set(state === r.state ? 1 : 0);
        if (before !== undefined) {
          logger.info(
            {
              deployment: plan.name,
              region: r.region,
              state: r.state,
              previousState: before.state,
              reason: r.stateReason,
            },
            'region state',
          );
        }
      });
    }
    this.plannedAtMs = nowMs;
    metrics.planRebuilds.inc();
  }
}

// Rebuilds every deployment's plan and route off the hot path (telemetry change,
// ageing tick, passive signal) and swaps them in by reference. Mode changes are
// logged here, once per change, never per request; so is the moment a start's wait for
// its first telemetry turns late (the same mode, now a warning).
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { estimateLoad, MAX_LOAD_RATIO, type RegionLoad, type SmoothingState } from '../planner/load-estimate.js';
import { modeLogLevel, planDeployment } from '../planner/plan-deployment.js';
import type { PlannerSettings, RegionState } from '../planner/types.js';
import type { Resilience } from '../resilience/resilience.js';
import type { DeploymentTopology, Topology } from '../topology/topology.js';
import { DeploymentRoute, type RouteTarget } from '../selector/deployment-route.js';
import type { SourceName } from '../telemetry/combine.js';
import type { InBandLoad } from '../telemetry/in-band/in-band-load.js';
import type { OwnLoad } from '../telemetry/own-load.js';
import { sourceStatusOf, type SourceStatus, type TelemetryStore } from '../telemetry/store.js';

/** A deployment whose route the re-plan loop replaces. */
export interface PlannedDeployment<T extends RouteTarget> {
  readonly topology: DeploymentTopology;
  /** The target of a servable region, made once (a re-plan allocates none). */
  readonly targetOf: (region: string) => T;
  route: DeploymentRoute<T> | null;
}

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

export interface RouteStateOptions<T extends RouteTarget> {
  readonly config: Config;
  readonly deployments: ReadonlyMap<string, PlannedDeployment<T>>;
  readonly store: TelemetryStore;
  readonly ownLoad: OwnLoad;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly topology: Topology;
  readonly resilience: Resilience;
  /** The in-band source's slots, read into the store at every re-plan; null when telemetry.inBand is off. */
  readonly inBand?: InBandLoad | null;
  /** When the router started: its first telemetry is late staleAfterMs after this. */
  readonly startedAtMs: number;
}

export const REGION_STATES: readonly RegionState[] = ['active', 'no-backend', 'ejected', 'cooldown', 'slow-start'];
const SOURCE_STATUSES: readonly SourceStatus[] = ['ok', 'error', 'stale'];
// While readings of a region stay out of bounds, say so at most this often.
const CLAMPED_LOG_MS = 30_000;

/** The reading a (model, region) was last clamped for, and when that was last logged. */
interface Clamped {
  readonly source: SourceName;
  readonly atMs: number;
  readonly loggedAtMs: number;
}

export class RouteState<T extends RouteTarget> {
  private settings: PlannerSettings;
  private models: ReadonlySet<string>;
  /** Per model, every region of its deployments' boundaries (those without a backend included). */
  private boundaryRegions: ReadonlyMap<string, ReadonlySet<string>>;
  /** The other clients' load per (model, region) as last smoothed, carried to the next re-plan. */
  private smoothing = new Map<string, SmoothingState>();
  /** (model, region) pairs whose newest reading was out of bounds. */
  private clamped = new Map<string, Clamped>();
  sourceStatus: SourceStatus = 'stale';
  /** Each configured source's status at the last re-plan. */
  readonly sourceStatuses = new Map<SourceName, SourceStatus>();
  plannedAtMs = 0;

  constructor(private opts: RouteStateOptions<T>) {
    this.settings = plannerSettingsOf(opts.config);
    this.models = new Set(opts.topology.deployments.map((d) => d.model));
    this.boundaryRegions = boundaryRegionsOf(opts.topology);
  }

  /**
   * A reload: the next rebuild plans the new deployments with the new settings. The
   * smoothed load of (model, region) pairs that remain and the source status carry
   * over, so a reload neither jolts the shares nor logs a status change.
   */
  reconfigure(opts: RouteStateOptions<T>): void {
    this.opts = opts;
    this.settings = plannerSettingsOf(opts.config);
    this.models = new Set(opts.topology.deployments.map((d) => d.model));
    this.boundaryRegions = boundaryRegionsOf(opts.topology);
    // A source the reload removed leaves neither a status nor a health series behind.
    const { store, metrics } = opts;
    for (const source of [...this.sourceStatuses.keys()]) {
      const kept = source === 'in-band' ? store.inBand !== null : store.polled.includes(source);
      if (kept) continue;
      this.sourceStatuses.delete(source);
      for (const s of SOURCE_STATUSES) metrics.sourceHealth.remove(source, s);
    }
  }

  rebuild(nowMs: number): void {
    const { store, metrics, logger } = this.opts;
    this.opts.inBand?.collect(store, metrics);
    this.observeSources(nowMs);
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
    resilience.budget.tick(nowMs);
    resilience.observeTelemetry(store, this.models, this.opts.topology.regions, this.settings.staleAfterMs, nowMs);
    const loads = this.estimateLoads(nowMs);
    const input = {
      telemetry: store,
      sourceStatus: status,
      startedAtMs: this.opts.startedAtMs,
      settings: this.settings,
      availability: (model: string, region: string) => resilience.availability(model, region, nowMs),
      passiveFactor: (model: string, region: string) => resilience.passiveFactor(model, region, nowMs),
      load: (model: string, region: string) => loads.get(`${model}\u0000${region}`) as RegionLoad,
    };
    const perRequest = this.opts.config.routing.loadPerRequest;
    for (const deployment of this.opts.deployments.values()) {
      const plan = planDeployment(deployment.topology, input, nowMs);
      const previous = deployment.route?.plan ?? null;
      deployment.route = new DeploymentRoute<T>(plan, deployment.targetOf, perRequest);
      const level = modeLogLevel(plan);
      const modeChanged = previous !== null && previous.mode !== plan.mode;
      if (previous === null || modeChanged || modeLogLevel(previous) !== level) {
        logger[level](
          {
            deployment: plan.name,
            mode: plan.mode,
            previousMode: previous?.mode ?? null,
            reason: plan.reason,
            coverage: plan.coverage,
          },
          'routing mode',
        );
        if (modeChanged) metrics.modeChanges.labels(plan.name, plan.mode).inc();
      }
      metrics.mode.labels(plan.name).set(plan.mode === 'conservative' ? 1 : 0);
      metrics.coverage.labels(plan.name).set(plan.coverage);
      // Plans of one deployment list the same boundary in the same order (until a reload).
      plan.regions.forEach((r, i) => {
        metrics.share.labels(plan.name, r.region).set(r.share);
        metrics.weightFactor.labels(plan.name, r.region).set(r.weightFactor);
        // A reload may have changed the boundary: only the same region's state compares.
        const before = previous?.regions[i]?.region === r.region ? previous.regions[i] : undefined;
        if (before !== undefined && before.state === r.state) return;
        for (const state of REGION_STATES)
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

  /** Each source's own status, for /capacity and switchyard_telemetry_source_health. */
  private observeSources(nowMs: number): void {
    const { store, metrics } = this.opts;
    const staleAfterMs = this.settings.staleAfterMs;
    const set = (source: SourceName, status: SourceStatus): void => {
      if (this.sourceStatuses.get(source) === status) return;
      this.sourceStatuses.set(source, status);
      for (const s of SOURCE_STATUSES) metrics.sourceHealth.labels(source, s).set(s === status ? 1 : 0);
    };
    for (const name of store.polled) set(name, sourceStatusOf(store.stateOf(name), nowMs, staleAfterMs));
    const inBand = store.inBand;
    if (inBand !== null) {
      // Answers bring readings only while traffic flows: quiet is stale, never an error.
      const fresh = inBand.lastAtMs !== null && nowMs - inBand.lastAtMs <= staleAfterMs;
      set('in-band', fresh ? 'ok' : 'stale');
    }
  }

  /**
   * One load estimate per (model, region), shared by every deployment of the model;
   * a capacity signal that has run out, or that a newer report replaces, is dropped
   * first.
   */
  private estimateLoads(nowMs: number): Map<string, RegionLoad> {
    const { store, ownLoad, config } = this.opts;
    const loads = new Map<string, RegionLoad>();
    const smoothing = new Map<string, SmoothingState>();
    for (const [model, regions] of this.boundaryRegions) {
      for (const region of regions) {
        const key = `${model}\u0000${region}`;
        const report = store.report(model, region);
        const cell = ownLoad.cellOf(model, region);
        cell?.expireCap(nowMs, report?.atMs ?? null);
        const load = estimateLoad(report, cell, this.smoothing.get(key), config.routing, nowMs);
        loads.set(key, load);
        if (load.othersLoad !== null) smoothing.set(key, { othersLoad: load.othersLoad, atMs: nowMs });
        if (load.clamped) this.noteClamped(key, model, region, load, nowMs);
        else if (report !== undefined) this.clamped.delete(key);
      }
    }
    this.smoothing = smoothing;
    for (const key of this.clamped.keys()) if (!loads.has(key)) this.clamped.delete(key);
    return loads;
  }

  /** An out-of-bounds reading: counted once per reading, logged once while they keep coming (every 30 s at most). */
  private noteClamped(key: string, model: string, region: string, load: RegionLoad, nowMs: number): void {
    const report = load.report as NonNullable<RegionLoad['report']>;
    const before = this.clamped.get(key);
    if (before !== undefined && before.source === report.inUseSource && before.atMs === report.atMs) return;
    const { metrics, logger } = this.opts;
    metrics.readingsClamped.labels(report.inUseSource, model, region).inc();
    const log = before === undefined || nowMs - before.loggedAtMs >= CLAMPED_LOG_MS;
    this.clamped.set(key, {
      source: report.inUseSource,
      atMs: report.atMs,
      loggedAtMs: log ? nowMs : before.loggedAtMs,
    });
    if (!log) return;
    logger.warn(
      {
        model,
        region,
        source: report.inUseSource,
        inUse: report.inUse,
        capacity: report.capacity,
        reason: `inUse above ${MAX_LOAD_RATIO} x capacity; the load estimate takes it as ${MAX_LOAD_RATIO} x capacity`,
      },
      'telemetry reading out of bounds',
    );
  }
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

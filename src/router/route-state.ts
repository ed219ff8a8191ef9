// Re-planning, put together: before each re-plan the in-band source's readings go into
// the store, the sources' status is observed (SourceWatch) and so is which regions'
// telemetry came back (resilience starts their slow start); the Replanner (planner
// layer) then plans every deployment, and the new routes are swapped in by reference.
// Mode and region-state changes are logged here, once per change, never per request;
// so is the moment a start's wait for its first telemetry turns late (the same mode,
// now a warning), and a reading out of bounds. Runs on the router's re-plan tick, after
// each poll and on passive signals; nothing else moves with it.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { MAX_LOAD_RATIO, type RegionLoad } from '../planner/load-estimate.js';
import { modeLogLevel } from '../planner/plan-deployment.js';
import { type ClampedReading, Replanner } from '../planner/replanner.js';
import type { DeploymentPlan, RegionState } from '../planner/types.js';
import type { Resilience } from '../resilience/resilience.js';
import type { DeploymentTopology, Topology } from '../topology/topology.js';
import { DeploymentRoute, type RouteTarget } from '../selector/deployment-route.js';
import type { SourceName } from '../telemetry/combine.js';
import type { InBandLoad } from '../telemetry/in-band/in-band-load.js';
import type { OwnLoad } from '../telemetry/own-load.js';
import { SourceWatch } from '../telemetry/source-watch.js';
import type { SourceStatus, TelemetryStore } from '../telemetry/store.js';

/** A deployment whose route the re-plan loop replaces. */
export interface PlannedDeployment<T extends RouteTarget> {
  readonly topology: DeploymentTopology;
  /** The target of a servable region, made once (a re-plan allocates none). */
  readonly targetOf: (region: string) => T;
  route: DeploymentRoute<T> | null;
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

export const REGION_STATES: readonly RegionState[] = [
  'active',
  'no-backend',
  'ejected',
  'cooldown',
  'slow-start',
  'suspect',
];
// While readings of a region stay out of bounds, say so at most this often.
const CLAMPED_LOG_MS = 30_000;

/** The reading a (model, region) was last clamped for, and when that was last logged. */
interface Clamped {
  readonly source: SourceName;
  readonly atMs: number;
  readonly loggedAtMs: number;
}

export class RouteState<T extends RouteTarget> {
  private readonly replanner: Replanner;
  private readonly watch: SourceWatch;
  private models: ReadonlySet<string>;
  /** (model, region) pairs whose newest reading was out of bounds. */
  private clamped = new Map<string, Clamped>();
  plannedAtMs = 0;

  constructor(private opts: RouteStateOptions<T>) {
    this.replanner = new Replanner(opts.config, opts.topology);
    this.watch = new SourceWatch(opts.store, opts.metrics, opts.logger, opts.config.telemetry.staleAfterMs);
    this.models = new Set(opts.topology.deployments.map((d) => d.model));
  }

  /** All telemetry sources together, at the last re-plan. */
  get sourceStatus(): SourceStatus {
    return this.watch.status;
  }

  /** Each configured source's status at the last re-plan. */
  get sourceStatuses(): ReadonlyMap<SourceName, SourceStatus> {
    return this.watch.statuses;
  }

  /**
   * A reload: the next rebuild plans the new deployments with the new settings. The
   * smoothed load of (model, region) pairs that remain and the source status carry
   * over, so a reload neither jolts the shares nor logs a status change.
   */
  reconfigure(opts: RouteStateOptions<T>): void {
    this.opts = opts;
    this.replanner.reconfigure(opts.config, opts.topology);
    this.watch.reconfigure(opts.config.telemetry.staleAfterMs);
    this.models = new Set(opts.topology.deployments.map((d) => d.model));
  }

  rebuild(nowMs: number): void {
    const { store, metrics, resilience, topology } = this.opts;
    this.opts.inBand?.collect(store, metrics);
    const sourceStatus = this.watch.observe(nowMs);
    const staleAfterMs = this.replanner.settings.staleAfterMs;
    resilience.observeTelemetry(store, this.models, topology.regions, staleAfterMs, nowMs);
    const clamped: ClampedReading[] = [];
    const deployments = [...this.opts.deployments.values()];
    const plans = this.replanner.plan(
      deployments.map((d) => d.topology),
      {
        store,
        ownLoad: this.opts.ownLoad,
        sourceStatus,
        startedAtMs: this.opts.startedAtMs,
        availability: (model, region) => resilience.availability(model, region, nowMs),
        passiveFactor: (model, region) => resilience.passiveFactor(model, region, nowMs),
      },
      nowMs,
      clamped,
    );
    deployments.forEach((deployment, i) => {
      const plan = plans[i] as DeploymentPlan;
      const previous = deployment.route?.plan ?? null;
      deployment.route = new DeploymentRoute<T>(plan, deployment.targetOf);
      this.publish(plan, previous);
    });
    this.noteClamped(clamped, nowMs);
    this.plannedAtMs = nowMs;
    metrics.planRebuilds.inc();
  }

  /** The plan's gauges, and a log line for each change of mode or region state. */
  private publish(plan: DeploymentPlan, previous: DeploymentPlan | null): void {
    const { metrics, logger } = this.opts;
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

  /** Out-of-bounds readings of this re-plan; pairs no longer out of bounds are forgotten. */
  private noteClamped(readings: readonly ClampedReading[], nowMs: number): void {
    const now = new Set<string>();
    for (const r of readings) {
      now.add(r.key);
      this.noteReading(r.key, r.model, r.region, r.load, nowMs);
    }
    for (const key of this.clamped.keys()) if (!now.has(key)) this.clamped.delete(key);
  }

  /** An out-of-bounds reading: counted once per reading, logged once while they keep coming (every 30 s at most). */
  private noteReading(key: string, model: string, region: string, load: RegionLoad, nowMs: number): void {
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

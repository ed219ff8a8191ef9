// One router of the fleet model: the real telemetry store, own-load ledger,
// resilience and re-plan loop, on the model's clock, with no sockets. The model plays
// the data plane: it picks with the router's routes, counts attempts in the load
// cells and reports outcomes to resilience, as the proxy does.
import { Writable } from 'node:stream';
import type { Config } from '../../config/types.js';
import { validateConfig } from '../../config/validate.js';
import { createLogger } from '../../logger/logger.js';
import { Metrics } from '../../metrics/metrics.js';
import type { BackendHealth } from '../../resilience/outcome.js';
import { Resilience } from '../../resilience/resilience.js';
import { type PlannedDeployment, RouteState } from '../../router/route-state.js';
import type { DeploymentRoute, RouteTarget } from '../../selector/deployment-route.js';
import { OwnLoad } from '../../telemetry/own-load.js';
import type { CapacityReport } from '../../telemetry/report.js';
import { TelemetryStore } from '../../telemetry/store.js';
import { buildTopology, type DeploymentTopology, unitsByModel } from '../../topology/topology.js';

class ModelDeployment implements PlannedDeployment<RouteTarget> {
  route: DeploymentRoute<RouteTarget> | null = null;
  private readonly targets = new Map<string, RouteTarget>();

  constructor(
    readonly topology: DeploymentTopology,
    ownLoad: OwnLoad,
  ) {
    for (const region of topology.servable) {
      this.targets.set(region, { region, load: ownLoad.cell(topology.model, region) });
    }
  }

  readonly targetOf = (region: string): RouteTarget => this.targets.get(region) as RouteTarget;
}

const silent = new Writable({
  write(_chunk, _enc, cb) {
    cb();
  },
});

export class ModelRouter {
  readonly config: Config;
  readonly store: TelemetryStore;
  readonly ownLoad: OwnLoad;
  readonly resilience: Resilience;
  readonly state: RouteState<RouteTarget>;
  readonly deployment: ModelDeployment;
  readonly backends: ReadonlyMap<string, BackendHealth>;
  /** Client requests in flight (the retry budget is a share of them). */
  requestsInFlight = 0;
  private replanPending = false;

  constructor(
    rawConfig: Record<string, unknown>,
    private readonly now: () => number,
    private readonly later: (run: () => void) => void,
  ) {
    const checked = validateConfig(rawConfig);
    if (!checked.ok) throw new Error(`fleet model config invalid:\n${checked.errors.join('\n')}`);
    this.config = checked.config;
    const topology = buildTopology(this.config);
    const dep = topology.deployments[0];
    if (dep === undefined) throw new Error('the fleet model routes one deployment');
    const telemetry = this.config.telemetry;
    this.ownLoad = new OwnLoad(Math.max(telemetry.staleAfterMs, telemetry.estimateMaxAgeMs));
    this.ownLoad.configure(unitsByModel(topology), this.config.routing.loadPerRequest);
    this.store = new TelemetryStore(new Set(topology.regions), new Set([dep.model]));
    this.deployment = new ModelDeployment(dep, this.ownLoad);
    const metrics = new Metrics();
    const logger = createLogger('silent', silent);
    this.resilience = new Resilience({
      config: this.config,
      metrics,
      logger,
      now,
      requestReplan: () => this.replanSoon(),
      ownLoad: this.ownLoad,
    });
    this.state = new RouteState({
      config: this.config,
      topology,
      deployments: new Map([[dep.name, this.deployment]]),
      store: this.store,
      ownLoad: this.ownLoad,
      metrics,
      logger,
      resilience: this.resilience,
      startedAtMs: now(),
    });
    this.backends = new Map(
      topology.regions.map((region) => [
        region,
        { region, url: `model://${region}`, connectFailures: 0, ejectedUntilMs: 0 },
      ]),
    );
    this.replan();
  }

  get model(): string {
    return this.deployment.topology.model;
  }

  replan(): void {
    this.state.rebuild(this.now());
  }

  /** Several outcomes at one instant cost one re-plan, as in the router. */
  private replanSoon(): void {
    if (this.replanPending) return;
    this.replanPending = true;
    this.later(() => {
      this.replanPending = false;
      this.replan();
    });
  }

  receiveReports(reports: readonly CapacityReport[]): void {
    this.store.recordSuccess(reports, this.now());
    this.replan();
  }

  outcome(region: string, status: number, retryAfterMs: number | null, latencyS: number | null): void {
    this.resilience.onOutcome(
      this.model,
      this.backends.get(region) as BackendHealth,
      status,
      null,
      retryAfterMs,
      latencyS,
    );
  }
}

// A deployment as the data plane sees it: static parts made at start-up (topology,
// per-region targets, metric children) and the current route, replaced whole when the
// plan changes.
import type { Metrics } from '../metrics/metrics.js';
import type { RouteCounters } from '../metrics/request-series.js';
import { type AdmissionSettings, DeploymentAdmission, type Ticket } from './deployment-admission.js';
import type { RegionTarget, RegionUpstream } from './upstream.js';
import type { DeploymentRoute } from '../selector/deployment-route.js';
import type { InBandLoad } from '../telemetry/in-band/in-band-load.js';
import type { OwnLoad } from '../telemetry/own-load.js';
import type { DeploymentTopology } from '../topology/topology.js';

/** Region label for answers the router gives itself. */
export const NO_REGION = 'none';

export class DeploymentRuntime {
  readonly name: string;
  /** Replaced by a reload, with the targets. */
  topology: DeploymentTopology;
  /** Swapped by reference on every plan rebuild; read once per request. */
  route: DeploymentRoute<RegionTarget> | null = null;
  readonly ownAnswers: RouteCounters;
  /**
   * Whether a request's tokens are estimated on arrival: its capacity is counted in
   * tokens, or a tokens-per-minute quota of its model is configured. Set with the
   * topology (at start and on reload).
   */
  estimatesTokens = false;
  /** Requests waiting for room, and the settings they wait by (kept across reloads). */
  readonly admission: DeploymentAdmission;
  private readonly statsByRegion = new Map<string, RouteCounters>();
  private targets = new Map<string, RegionTarget>();

  constructor(
    topology: DeploymentTopology,
    private readonly metrics: Metrics,
    upstreams: ReadonlyMap<string, RegionUpstream>,
    ownLoad: OwnLoad,
    inBand: InBandLoad | null,
    admission: AdmissionSettings,
    onWithdrawn: (ticket: Ticket, deployment: string) => void,
  ) {
    this.name = topology.name;
    this.topology = topology;
    this.ownAnswers = metrics.requests.route(topology.name, NO_REGION);
    this.admission = new DeploymentAdmission(topology.name, admission, onWithdrawn);
    this.reconfigure(topology, upstreams, ownLoad, inBand, admission);
  }

  /**
   * A reload kept the deployment (same name): its new boundary and upstreams. The
   * runtime object stays, so a request in flight retries on the new route; the caller
   * rebuilds the route before anything else runs.
   */
  reconfigure(
    topology: DeploymentTopology,
    upstreams: ReadonlyMap<string, RegionUpstream>,
    ownLoad: OwnLoad,
    inBand: InBandLoad | null,
    admission: AdmissionSettings,
  ): void {
    this.topology = topology;
    this.admission.reconfigure(admission);
    const targets = new Map<string, RegionTarget>();
    for (const region of topology.servable) {
      if (!this.statsByRegion.has(region))
        this.statsByRegion.set(region, this.metrics.requests.route(topology.name, region));
      const upstream = upstreams.get(region);
      if (upstream === undefined) throw new Error(`no upstream for servable region ${region}`);
      // Every deployment of a model shares the model's load cell (and in-band slot) for the region.
      targets.set(region, {
        region,
        upstream,
        load: ownLoad.cell(topology.model, region),
        inBand: inBand?.slot(topology.model, region) ?? null,
      });
    }
    this.targets = targets;
  }

  /** The target of a servable region (made at start-up: a re-plan allocates none). */
  readonly targetOf = (region: string): RegionTarget => {
    const target = this.targets.get(region);
    if (target === undefined) throw new Error(`region ${region} is not servable for ${this.name}`);
    return target;
  };

  statsFor(region: string): RouteCounters {
    return this.statsByRegion.get(region) ?? this.ownAnswers;
  }
}

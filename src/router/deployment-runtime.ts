// A deployment as the data plane sees it: static parts made at start-up (topology,
// metric children) and the current route, replaced whole when the plan changes.
import type { Metrics } from '../metrics/metrics.js';
import type { RouteCounters } from '../metrics/request-series.js';
import type { DeploymentTopology } from '../topology/topology.js';
import type { DeploymentRoute } from '../selector/deployment-route.js';
import type { RegionUpstream } from '../proxy/upstream.js';

/** Region label for answers the router gives itself. */
export const NO_REGION = 'none';

export class DeploymentRuntime {
  readonly name: string;
  readonly topology: DeploymentTopology;
  /** Swapped by reference on every plan rebuild; read once per request. */
  route: DeploymentRoute<RegionUpstream> | null = null;
  readonly ownAnswers: RouteCounters;
  private readonly statsByRegion = new Map<string, RouteCounters>();

  constructor(topology: DeploymentTopology, metrics: Metrics) {
    this.name = topology.name;
    this.topology = topology;
    this.ownAnswers = metrics.requests.route(topology.name, NO_REGION);
    for (const region of topology.servable)
      this.statsByRegion.set(region, metrics.requests.route(topology.name, region));
  }

  statsFor(region: string): RouteCounters {
    return this.statsByRegion.get(region) ?? this.ownAnswers;
  }
}

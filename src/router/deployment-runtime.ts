// A deployment as the data plane sees it: static parts made at start-up (topology,
// metric children) and the current route, replaced whole when the plan changes.
import type { Metrics } from '../metrics/metrics.js';
import { RouteStats } from '../metrics/route-stats.js';
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
  readonly ownAnswers: RouteStats;
  private readonly statsByRegion = new Map<string, RouteStats>();

  constructor(topology: DeploymentTopology, metrics: Metrics) {
    this.name = topology.name;
    this.topology = topology;
    this.ownAnswers = new RouteStats(metrics, topology.name, NO_REGION);
    for (const region of topology.servable) this.statsByRegion.set(region, new RouteStats(metrics, topology.name, region));
  }

  statsFor(region: string): RouteStats {
    return this.statsByRegion.get(region) ?? this.ownAnswers;
  }
}

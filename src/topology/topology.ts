// Boundaries, resolved once from the config. A deployment's boundary is the set of
// regions its traffic may ever reach; nothing downstream widens it.
import type { BackendConfig, CapacityUnit, Config, DeploymentConfig, DeploymentType } from '../config/types.js';

export interface DeploymentTopology {
  readonly name: string;
  readonly model: string;
  readonly type: DeploymentType;
  /** The declared boundary, sorted: every region the deployment may use. */
  readonly boundary: readonly string[];
  /** The boundary's regions that have at least one backend (the ones that can serve). */
  readonly servable: readonly string[];
  /** What its telemetry counts: its own capacityUnit, else routing.capacityUnit. */
  readonly capacityUnit: CapacityUnit;
}

/** A backend as the topology sees it: where it is (its other settings ride along). */
export type BackendPlace = Pick<BackendConfig, 'region'>;

export interface Topology<B extends BackendPlace = BackendConfig> {
  /** Every region that has a backend, sorted. */
  readonly regions: readonly string[];
  readonly zoneOf: ReadonlyMap<string, string>;
  readonly backendsByRegion: ReadonlyMap<string, readonly B[]>;
  readonly deployments: readonly DeploymentTopology[];
  readonly deploymentsByName: ReadonlyMap<string, DeploymentTopology>;
}

/**
 * The declared boundary of a deployment. A data zone's boundary is all of the zone's
 * regions, even those without a backend: they are listed (and reported as unable to
 * serve) so an operator sees the whole boundary, but they never receive traffic.
 */
export function boundaryOf(
  deployment: Pick<DeploymentConfig, 'type' | 'zone' | 'region'>,
  zones: Readonly<Record<string, readonly string[]>>,
  regionsWithBackend: readonly string[],
): string[] {
  switch (deployment.type) {
    case 'global':
      return [...regionsWithBackend].sort();
    case 'datazone':
      return [...(zones[deployment.zone ?? ''] ?? [])].sort();
    case 'regional':
      return deployment.region === null ? [] : [deployment.region];
  }
}

export function buildTopology<B extends BackendPlace = BackendConfig>(
  config: Pick<Config, 'zones' | 'deployments'> & {
    readonly backends: readonly B[];
    readonly routing?: { readonly capacityUnit: CapacityUnit };
  },
): Topology<B> {
  const zoneOf = new Map<string, string>();
  for (const [zone, regions] of Object.entries(config.zones)) {
    for (const region of regions) zoneOf.set(region, zone);
  }
  const backendsByRegion = new Map<string, B[]>();
  for (const backend of config.backends) {
    const list = backendsByRegion.get(backend.region);
    if (list === undefined) backendsByRegion.set(backend.region, [backend]);
    else list.push(backend);
  }
  const regions = [...backendsByRegion.keys()].sort();
  const deployments = config.deployments.map((d): DeploymentTopology => {
    const boundary = boundaryOf(d, config.zones, regions);
    return Object.freeze({
      name: d.name,
      model: d.model,
      type: d.type,
      boundary: Object.freeze(boundary),
      servable: Object.freeze(boundary.filter((r) => backendsByRegion.has(r))),
      capacityUnit: d.capacityUnit ?? config.routing?.capacityUnit ?? 'requests',
    });
  });
  return {
    regions,
    zoneOf,
    backendsByRegion,
    deployments,
    deploymentsByName: new Map(deployments.map((d) => [d.name, d])),
  };
}

/** Each model's capacity unit (deployments of one model share it: the config checks that). */
export function unitsByModel(topology: Pick<Topology<BackendPlace>, 'deployments'>): Map<string, CapacityUnit> {
  return new Map(topology.deployments.map((d) => [d.model, d.capacityUnit]));
}

// The fleet every incident is replayed on: the demo's seven regions in three data zones,
// other tenants' load moving on the replay's own clock, and deployments of every
// boundary type with a fixed traffic mix. The same for every incident and policy.
import { DEMO_MODELS, DEMO_REGIONS, DEMO_ZONES } from '../src/demo.js';
import { regionPhase } from '../src/sim/background.js';
import type { SimFleetOptions, SimRegionOptions } from '../src/sim/types.js';
import { boundaryOf } from '../src/topology/topology.js';
import type { ReplayFleet } from './types.js';

/** Tokens per answer: about one second of service (150-200 ms to the first token, 25-30 ms per token). */
export const TOKENS = 32;

export const ZONES = DEMO_ZONES;

/** The demo's regions without their wave: the replay drives the background itself (see backgroundAt). */
export const REGIONS: readonly SimRegionOptions[] = DEMO_REGIONS.map(({ backgroundWavePeriodMs: _, ...r }) => r);

export const REGION_NAMES: readonly string[] = REGIONS.map((r) => r.region);

export interface ReplayDeployment {
  readonly name: string;
  readonly model: string;
  readonly type: 'global' | 'datazone' | 'regional';
  readonly zone?: string;
  readonly region?: string;
  /** Its share of the clients' requests. */
  readonly weight: number;
}

const [BIG_MODEL, MINI_MODEL] = DEMO_MODELS as [string, string];
export { BIG_MODEL, MINI_MODEL };

export const DEPLOYMENTS: readonly ReplayDeployment[] = [
  { name: 'chat-global', model: BIG_MODEL, type: 'global', weight: 0.35 },
  { name: 'chat-us', model: BIG_MODEL, type: 'datazone', zone: 'us', weight: 0.15 },
  { name: 'chat-eu', model: BIG_MODEL, type: 'datazone', zone: 'eu', weight: 0.2 },
  { name: 'chat-apac', model: BIG_MODEL, type: 'datazone', zone: 'apac', weight: 0.1 },
  { name: 'mini-global', model: MINI_MODEL, type: 'global', weight: 0.12 },
  { name: 'mini-east', model: MINI_MODEL, type: 'regional', region: 'eastus2', weight: 0.08 },
];

/** Each deployment's boundary, as the router resolves it. */
export const BOUNDARIES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  DEPLOYMENTS.map((d) => [
    d.name,
    new Set(boundaryOf({ type: d.type, zone: d.zone ?? null, region: d.region ?? null }, ZONES, REGION_NAMES)),
  ]),
);

export function simOptions(): Omit<SimFleetOptions, 'now'> {
  return {
    regions: REGIONS.map((r) => ({ ...r })),
    models: [...DEMO_MODELS],
    defaultTokens: TOKENS,
    deployments: Object.fromEntries(DEPLOYMENTS.map((d) => [d.name, d.model])),
  };
}

export function serviceSeconds(r: SimRegionOptions): number {
  return ((r.ttftMs ?? 0) + TOKENS * (r.perTokenMs ?? 0)) / 1000;
}

/** Slots left for the replay's clients on average: capacity minus the mean background. */
export function freeSlots(r: SimRegionOptions): number {
  return r.capacity - (r.backgroundLoad ?? 0);
}

/** Requests per second the fleet serves for the clients at full use (load 1). */
export function capacityRate(): number {
  return REGIONS.reduce((sum, r) => sum + freeSlots(r) / serviceSeconds(r), 0);
}

/** Slots the clients have on average across the fleet (174): switchyard's shedding.maxInFlight. */
export function fleetFreeSlots(): number {
  return REGIONS.reduce((sum, r) => sum + freeSlots(r), 0);
}

// Other tenants' load moves +-30% around its mean, each region on its own period and
// phase (the demo's periods), so stale telemetry goes wrong as it would in a fleet.
const WAVE = 0.3;
const PERIOD_S: Readonly<Record<string, number>> = Object.fromEntries(
  DEMO_REGIONS.map((r) => [r.region, (r.backgroundWavePeriodMs ?? 40_000) / 1000]),
);

/** Other tenants' load in a region at replay time tS (seconds since the load started). */
export function backgroundAt(region: string, tS: number): number {
  const base = REGIONS.find((r) => r.region === region)?.backgroundLoad ?? 0;
  const period = PERIOD_S[region] ?? 40;
  return base * (1 + WAVE * Math.sin((2 * Math.PI * tS) / period + regionPhase(region)));
}

/** The fleet of every incident that names no other: slots, 32 tokens per answer. */
export const SLOT_FLEET: ReplayFleet = {
  label: 'slots (concurrent requests)',
  simOptions,
  capacityRate,
  backgroundAt,
  routerConfig: {},
};

// The fleets the routing loop is measured on, and the yardsticks for each: the loss
// of the same traffic on one pooled region and on a static capacity-proportional split
// (Erlang B, no retries).
import { DEMO_REGIONS } from '../../src/demo.js';
import { pooledLoss, staticSplitLoss } from '../../src/sim/loop-model/erlang.js';
import type { SimRegionOptions } from '../../src/sim/types.js';

export type FleetName = 'a' | 'b' | 'c';

export interface BenchFleet {
  readonly name: FleetName;
  readonly label: string;
  readonly regions: readonly SimRegionOptions[];
  /** Erlang B figures only exist for fleets without moving background load. */
  readonly exact: boolean;
}

/** Tokens per answer: with 100 ms to first token and 25 ms per token, 0.5 s of service. */
export const TOKENS = 16;
const TTFT_MS = 100;
const PER_TOKEN_MS = 25;

const plain = (region: string, capacity: number): SimRegionOptions => ({
  region,
  capacity,
  ttftMs: TTFT_MS,
  perTokenMs: PER_TOKEN_MS,
});

export const FLEETS: Readonly<Record<FleetName, BenchFleet>> = {
  a: {
    name: 'a',
    label: '60/30/10 slots',
    regions: [plain('big', 60), plain('mid', 30), plain('small', 10)],
    exact: true,
  },
  b: { name: 'b', label: '50/50 slots', regions: [plain('east', 50), plain('west', 50)], exact: true },
  c: {
    name: 'c',
    label: "the demo's seven regions, moving background load",
    regions: DEMO_REGIONS.map((r) => ({ ...r })),
    exact: false,
  },
};

export function serviceMsOf(r: SimRegionOptions): number {
  return (r.ttftMs ?? 0) + TOKENS * (r.perTokenMs ?? 0);
}

/** Slots left for the router's clients (the background's mean taken off). */
export function freeSlots(r: SimRegionOptions): number {
  return r.capacity - (r.backgroundLoad ?? 0);
}

/** Requests per second the fleet can serve for the clients. */
export function capacityRate(fleet: BenchFleet): number {
  return fleet.regions.reduce((sum, r) => sum + freeSlots(r) / (serviceMsOf(r) / 1000), 0);
}

/** The static oracle's weights: each region's true room for the clients. */
export function oracleWeights(fleet: BenchFleet): Record<string, number> {
  return Object.fromEntries(fleet.regions.map((r) => [r.region, freeSlots(r)]));
}

export interface Yardsticks {
  readonly pooled: number | null;
  readonly staticSplit: number | null;
}

export function yardsticks(fleet: BenchFleet, load: number): Yardsticks {
  if (!fleet.exact) return { pooled: null, staticSplit: null };
  const slots = fleet.regions.map(freeSlots);
  const total = slots.reduce((a, b) => a + b, 0);
  const erlangs = load * total;
  return {
    pooled: pooledLoss(slots, erlangs),
    staticSplit: staticSplitLoss(
      slots,
      slots.map((s) => s / total),
      erlangs,
    ),
  };
}

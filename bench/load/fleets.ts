// The simulated backends every target shares, described once for the backends child
// (which starts them) and the orchestrator (which points the targets at them).
import type { SimRegionOptions } from '../../src/sim/index.js';

export const MODEL = 'm';
/** SSE pacing: max_tokens chunks, one every perTokenMs (the first at once). */
export const SSE_TOKENS = 20;
export const SSE_PER_TOKEN_MS = 25;
/** What a stream cannot beat: 20 x 25 ms (the sim writes the first chunk at 0 and the last at 475 ms). */
export const SSE_PACING_MS = SSE_TOKENS * SSE_PER_TOKEN_MS;
/** Plenty: the sims must never answer 429 in a throughput test. */
const CAPACITY = 1_000_000;

export type FleetKey = 'fast' | 'sse' | 'wave';

export interface FleetSpec {
  readonly key: FleetKey;
  /** The data zone and the switchyard deployment serving it. */
  readonly zone: string;
  readonly deployment: string;
  readonly regions: readonly SimRegionOptions[];
  readonly responseBytes?: number;
}

export const FLEETS: Readonly<Record<FleetKey, FleetSpec>> = {
  // Workload A: no artificial latency, 1 KB JSON answers.
  fast: {
    key: 'fast',
    zone: 'fast',
    deployment: 'bench-fast',
    regions: [
      { region: 'fast-a', capacity: CAPACITY },
      { region: 'fast-b', capacity: CAPACITY },
    ],
    responseBytes: 1024,
  },
  // Workload B: SSE paced at 25 ms per chunk.
  sse: {
    key: 'sse',
    zone: 'sse',
    deployment: 'bench-sse',
    regions: [
      { region: 'sse-a', capacity: CAPACITY, perTokenMs: SSE_PER_TOKEN_MS },
      { region: 'sse-b', capacity: CAPACITY, perTokenMs: SSE_PER_TOKEN_MS },
    ],
  },
  // Workload C: like `fast`, but other tenants' load swings (+-50% over 1 s, out of
  // phase between regions), so every 100 ms telemetry poll moves the shares.
  wave: {
    key: 'wave',
    zone: 'wave',
    deployment: 'bench-wave',
    regions: [
      { region: 'wave-a', capacity: CAPACITY, backgroundLoad: 400_000, backgroundWavePeriodMs: 1000 },
      { region: 'wave-b', capacity: CAPACITY, backgroundLoad: 400_000, backgroundWavePeriodMs: 1000 },
    ],
    responseBytes: 1024,
  },
};

/**
 * The carry-over phase's backends: the regions of these fleets in one more sim fleet, so
 * that a single telemetry URL (switchyard polls one) covers both. The backends child
 * reports it as one FleetInfo per fleet, sharing that fleet's telemetry and control URLs.
 */
export const CARRY_FLEETS: readonly FleetKey[] = ['fast', 'sse'];

/** What the backends child reports per fleet once listening. */
export interface FleetInfo {
  readonly key: FleetKey;
  readonly backends: ReadonlyArray<{ region: string; url: string }>;
  readonly telemetryUrl: string;
  readonly controlUrl: string;
}

export function portsOf(fleet: FleetInfo): number[] {
  return fleet.backends.map((b) => Number(new URL(b.url).port));
}

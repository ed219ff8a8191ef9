// The simulated backends every target shares, all in one child process (so that the
// proxies' CPU and memory can be read apart from theirs).
import type { SimRegionOptions } from '../../src/sim/index.js';
import type { ChildRegistry } from '../../tools/children.js';
import { type SimInfo, startSims } from '../../tools/sim-process.js';

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

/** Where a fleet's backends answer. */
export interface FleetInfo {
  readonly key: FleetKey;
  readonly backends: ReadonlyArray<{ region: string; url: string }>;
  readonly telemetryUrl: string;
  readonly controlUrl: string;
}

export function portsOf(fleet: FleetInfo): number[] {
  return fleet.backends.map((b) => Number(new URL(b.url).port));
}

/** The backends child: a sim fleet per FleetSpec, and the carry-over phase's regions in one more. */
export async function startBackends(
  reg: ChildRegistry,
): Promise<{ pid: number; fleets: Record<FleetKey, FleetInfo>; carry: FleetInfo[] }> {
  const sim = (regions: readonly SimRegionOptions[], responseBytes: number | undefined) => ({
    regions: [...regions],
    models: [MODEL],
    defaultTokens: SSE_TOKENS,
    ...(responseBytes === undefined ? {} : { responseBytes }),
  });
  const { fast, sse, wave } = FLEETS;
  const { child, fleets } = await startSims(
    reg,
    {
      fast: sim(fast.regions, fast.responseBytes),
      sse: sim(sse.regions, sse.responseBytes),
      wave: sim(wave.regions, wave.responseBytes),
      // JSON answers padded as the fast fleet's (responseBytes pads non-streaming answers
      // only; the sse regions' streams are as in their own fleet).
      carry: sim(
        CARRY_FLEETS.flatMap((key) => FLEETS[key].regions),
        1024,
      ),
    },
    'backends',
  );
  const info = (key: FleetKey, at: SimInfo): FleetInfo => ({
    key,
    backends: at.backends.filter((b) => FLEETS[key].regions.some((r) => r.region === b.region)),
    telemetryUrl: at.telemetryUrl,
    controlUrl: at.controlUrl,
  });
  return {
    pid: child.pid,
    fleets: { fast: info('fast', fleets.fast), sse: info('sse', fleets.sse), wave: info('wave', fleets.wave) },
    carry: CARRY_FLEETS.map((key) => info(key, fleets.carry)),
  };
}

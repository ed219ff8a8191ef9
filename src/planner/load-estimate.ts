// A region's load as the router estimates it now, for one model: the newest report
// (whichever source measured it last, see telemetry/combine.ts), corrected by the
// router's own requests at that measurement's `at`, with the other clients' part smoothed over
// time. Pure: the previous estimate and `now` are passed in.
//
// Why this shape: a sidecar's own requests are part of the `inUse` it reads, so a
// report taken while its requests were running makes the region look fuller than it
// is once they finish. Subtracting what the router had in flight at the report's `at`
// leaves the other clients' load, which does not depend on this router's choices; the
// room left for this router is capacity minus that. Shares that follow this room do
// not feed back into themselves (with one router), and the time smoothing damps the
// loop that several independent routers still form through each other's load.
import type { CombinedReport } from '../telemetry/combine.js';
import type { LoadCell } from '../telemetry/own-load.js';

/**
 * A measurement enters the smoothing as at most this many times the region's capacity,
 * and so does the smoothed value carried from before (the capacity may have dropped).
 * Above its capacity a region has no room whatever the figure; a larger figure would
 * only say how long it stays full once the figure drops, and that is for the next
 * reports to say. Unbounded, one absurd reading decayed as e^(-t / smoothingMs): after
 * `inUse: 1e308` a half-full region had room again only after ln(1e308 / (capacity / 2))
 * time constants, about 700 s (12 minutes) at the default, and after a unit mistake of
 * 1e9 about 17 s. Bounded, a sane reading m gives it room within
 * ln((2 x capacity - m) / (capacity - m)) time constants: 1.1 s for a half-full region.
 */
export const MAX_LOAD_RATIO = 2;

export interface LoadSettings {
  /** Time constant of the smoothing of the other clients' load (0: none). */
  readonly smoothingMs: number;
}

export interface RegionLoad {
  /** The combined report (every source's newest reading behind it). */
  readonly report: CombinedReport | undefined;
  /** This router's requests in flight there now. */
  readonly ownInFlight: number;
  /** This router's load there now in telemetry units (see LoadCell.units). */
  readonly ownLoad: number;
  /** This router's load when the report was measured, in telemetry units. */
  readonly ownAtReport: number | null;
  /** Everyone else's load (reported inUse minus ownAtReport), smoothed; null without a report. */
  readonly othersLoad: number | null;
  /** The measurement was above MAX_LOAD_RATIO x capacity and entered the smoothing at that bound. */
  readonly clamped: boolean;
  /** Room for this router's requests: max(capacity - othersLoad, 0); null without a report. */
  readonly room: number | null;
  /** A 429 limits the room to what the router had in flight there, until capUntilMs. */
  readonly roomCap: number | null;
  readonly capUntilMs: number | null;
}

/** What smoothing carries from one estimate to the next. */
export interface SmoothingState {
  readonly othersLoad: number;
  readonly atMs: number;
}

export function estimateLoad(
  report: CombinedReport | undefined,
  cell: LoadCell | null,
  previous: SmoothingState | undefined,
  settings: LoadSettings,
  nowMs: number,
): RegionLoad {
  const ownLoad = cell === null ? 0 : cell.units;
  const ownInFlight = cell === null ? 0 : cell.inFlight;
  const capped = cell !== null && cell.roomCap !== Number.POSITIVE_INFINITY;
  const roomCap = capped ? cell.roomCap : null;
  const capUntilMs = capped ? cell.capUntilMs : null;
  if (report === undefined) {
    return {
      report,
      ownInFlight,
      ownLoad,
      ownAtReport: null,
      othersLoad: null,
      clamped: false,
      room: null,
      roomCap,
      capUntilMs,
    };
  }
  const ownAtReport = cell === null ? 0 : cell.unitsAt(report.atMs);
  const measured = Math.max(0, report.inUse - ownAtReport);
  // A region without capacity has no room whatever its load: nothing to bound.
  const bound = report.capacity > 0 ? MAX_LOAD_RATIO * report.capacity : Number.POSITIVE_INFINITY;
  const clamped = measured > bound;
  const from = previous !== undefined && previous.othersLoad > bound ? { ...previous, othersLoad: bound } : previous;
  const othersLoad = smooth(clamped ? bound : measured, from, settings.smoothingMs, nowMs);
  return {
    report,
    ownInFlight,
    ownLoad,
    ownAtReport,
    othersLoad,
    clamped,
    room: Math.max(0, report.capacity - othersLoad),
    roomCap,
    capUntilMs,
  };
}

/**
 * Exponential smoothing in time, not per call: the weight of the new measurement is
 * 1 - e^(-dt / tau), so re-planning more or less often does not change the dynamics.
 * The first measurement is taken as it is.
 */
export function smooth(
  measured: number,
  previous: SmoothingState | undefined,
  smoothingMs: number,
  nowMs: number,
): number {
  if (previous === undefined || smoothingMs <= 0) return measured;
  const dt = Math.max(0, nowMs - previous.atMs);
  const alpha = 1 - Math.exp(-dt / smoothingMs);
  return previous.othersLoad + alpha * (measured - previous.othersLoad);
}

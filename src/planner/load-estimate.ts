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

export interface LoadSettings {
  /** Telemetry units one in-flight request of this router adds to inUse; 0 disables the correction. */
  readonly loadPerRequest: number;
  /** Time constant of the smoothing of the other clients' load (0: none). */
  readonly smoothingMs: number;
}

export interface RegionLoad {
  /** The combined report (every source's newest reading behind it). */
  readonly report: CombinedReport | undefined;
  /** This router's requests in flight there now. */
  readonly ownInFlight: number;
  /** The same in telemetry units (ownInFlight x loadPerRequest). */
  readonly ownLoad: number;
  /** This router's load when the report was measured, in telemetry units. */
  readonly ownAtReport: number | null;
  /** Everyone else's load (reported inUse minus ownAtReport), smoothed; null without a report. */
  readonly othersLoad: number | null;
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
  const perRequest = settings.loadPerRequest;
  const ownInFlight = cell === null ? 0 : cell.inFlight;
  const capped = cell !== null && cell.roomCap !== Number.POSITIVE_INFINITY;
  const roomCap = capped ? cell.roomCap : null;
  const capUntilMs = capped ? cell.capUntilMs : null;
  if (report === undefined) {
    return {
      report,
      ownInFlight,
      ownLoad: ownInFlight * perRequest,
      ownAtReport: null,
      othersLoad: null,
      room: null,
      roomCap,
      capUntilMs,
    };
  }
  const ownAtReport = cell === null ? 0 : cell.inFlightAt(report.atMs) * perRequest;
  const measured = Math.max(0, report.inUse - ownAtReport);
  const othersLoad = smooth(measured, previous, settings.smoothingMs, nowMs);
  return {
    report,
    ownInFlight,
    ownLoad: ownInFlight * perRequest,
    ownAtReport,
    othersLoad,
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

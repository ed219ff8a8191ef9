// How the sources' figures for one (model, region) become the one report the planner
// reads. Each source has its own age, so none is trusted for longer than its own
// measurement: the store keeps each source's newest reading, and this rule picks from
// them. Pure: plain values in, a report out.
//
//   fresh     when any source's newest reading is at most staleAfterMs old (the
//             combined `atMs` is the newest reading's, so the planner's age test says it)
//   capacity  from the newest reading that has one (the JSON report, Prometheus, or a
//             rate limit's limit); with none at all, 1: a utilisation alone is read on
//             a scale of the whole region
//   inUse     from the newest reading of any source; a utilisation (ORCA, a rate limit's
//             remaining/limit) is turned into inUse against that capacity
//   atMs      the newest reading's: the router's own-load correction matches it
//
// Readings measured at the same millisecond are ranked json, prometheus, in-band: the
// absolute figures win a tie over a fraction.
import type { CapacityReport } from './report.js';

export type SourceName = 'json' | 'prometheus' | 'in-band';

/** The sources that are polled (as opposed to read off the answers to requests). */
export type PolledSourceName = Exclude<SourceName, 'in-band'>;

/** One source's newest measurement for one (model, region). */
export interface SourceReading {
  readonly source: SourceName;
  /** The region's capacity by this source; null when it gives none (ORCA, a rate limit without its limit). */
  readonly capacity: number | null;
  /** In use, in the capacity's unit; null when the source measures a fraction instead. */
  readonly inUse: number | null;
  /** Fraction of the capacity in use, in [0, 1]; null when the source measures an absolute figure. */
  readonly utilisation: number | null;
  /** When it was measured (ms since epoch), never later than when it arrived. */
  readonly atMs: number;
}

/** A report as the planner reads it, with the readings behind it. */
export interface CombinedReport extends CapacityReport {
  /** The source whose capacity is used. */
  readonly capacitySource: SourceName;
  /** The source whose measurement gives inUse and atMs. */
  readonly inUseSource: SourceName;
  /** Every source's newest reading, newest first. */
  readonly sources: readonly SourceReading[];
}

const RANK: Readonly<Record<SourceName, number>> = { json: 0, prometheus: 1, 'in-band': 2 };

/** Newest first; a tie goes to the absolute figures. */
function newerFirst(a: SourceReading, b: SourceReading): number {
  return b.atMs - a.atMs || RANK[a.source] - RANK[b.source];
}

/** The combination rule; undefined when no source has a reading. */
export function combineReadings(
  model: string,
  region: string,
  readings: readonly SourceReading[],
): CombinedReport | undefined {
  if (readings.length === 0) return undefined;
  const sources = [...readings].sort(newerFirst);
  const newest = sources[0] as SourceReading;
  const withCapacity = sources.find((r) => r.capacity !== null);
  const capacity = withCapacity?.capacity ?? 1;
  const inUse = newest.inUse ?? (newest.utilisation ?? 0) * capacity;
  return {
    region,
    model,
    capacity,
    inUse,
    atMs: newest.atMs,
    capacitySource: (withCapacity ?? newest).source,
    inUseSource: newest.source,
    sources,
  };
}

/** A report that comes from one source only (tests, and views without a store). */
export function singleSourceReport(report: CapacityReport, source: SourceName = 'json'): CombinedReport {
  return {
    ...report,
    capacitySource: source,
    inUseSource: source,
    sources: [{ source, capacity: report.capacity, inUse: report.inUse, utilisation: null, atMs: report.atMs }],
  };
}

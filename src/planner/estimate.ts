// What to assume about a region whose telemetry is not fresh. Unknown is not zero:
// a region that went quiet still has a backend that may well have room.
import type { EstimateSource } from './types.js';

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface HeadroomEstimate {
  readonly headroom: number | null;
  readonly source: EstimateSource;
}

/**
 * Its last known headroom while that is recent enough to mean something, else the
 * median headroom of the regions that are fresh, else nothing (callers spread evenly).
 */
export function estimateHeadroom(
  lastKnown: { readonly headroom: number; readonly ageMs: number } | null,
  freshMedian: number | null,
  estimateMaxAgeMs: number,
): HeadroomEstimate {
  if (lastKnown !== null && lastKnown.ageMs <= estimateMaxAgeMs) {
    return { headroom: lastKnown.headroom, source: 'last-known' };
  }
  if (freshMedian !== null) return { headroom: freshMedian, source: 'median' };
  return { headroom: null, source: 'none' };
}

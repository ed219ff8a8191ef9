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

export interface RoomEstimate {
  readonly room: number | null;
  readonly source: EstimateSource;
}

/**
 * Its last known room while that is recent enough to mean something, else the median
 * room of the regions that are fresh, else nothing (callers spread evenly).
 */
export function estimateRoom(
  lastKnown: { readonly room: number; readonly ageMs: number } | null,
  freshMedian: number | null,
  estimateMaxAgeMs: number,
): RoomEstimate {
  if (lastKnown !== null && lastKnown.ageMs <= estimateMaxAgeMs) {
    return { room: lastKnown.room, source: 'last-known' };
  }
  if (freshMedian !== null) return { room: freshMedian, source: 'median' };
  return { room: null, source: 'none' };
}

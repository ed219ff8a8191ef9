// What the router itself sees of a region, as a weight multiplier for conservative
// mode: the second incident's regions answered 429 while others sat idle, and the
// router could see that even though telemetry could not.

export interface PassiveSample {
  readonly attempts: number;
  readonly status429: number;
  /** Mean time to response headers (s), or null without samples. */
  readonly meanLatencyS: number | null;
}

/** Never below this: a region that looks bad still gets a trickle, so it can recover. */
export const MIN_PASSIVE_FACTOR = 0.05;

/**
 * (1 - 429 rate) x min(1, peer median latency / own latency), judged only once the
 * region has minRequests attempts in the window; 1 otherwise.
 */
export function passiveFactor(sample: PassiveSample, peerMedianLatencyS: number | null, minRequests: number): number {
  if (sample.attempts < minRequests) return 1;
  let factor = 1 - sample.status429 / sample.attempts;
  if (sample.meanLatencyS !== null && peerMedianLatencyS !== null && sample.meanLatencyS > 0) {
    factor *= Math.min(1, peerMedianLatencyS / sample.meanLatencyS);
  }
  return Math.min(1, Math.max(MIN_PASSIVE_FACTOR, factor));
}

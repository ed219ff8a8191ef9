// What one load run yields, whichever client produced it. Latencies are our own
// float milliseconds per response (autocannon's histogram keeps whole milliseconds,
// too coarse for sub-millisecond differences).
import { percentiles, mean } from './stats.js';

export interface LoadResult {
  readonly durationS: number;
  /** Responses received (any status). */
  readonly completed: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  readonly rps: number;
  /** Latency of 2xx responses, ms (streams: first byte sent to last byte received). */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export function summarise(
  latencies: ArrayLike<number>,
  counts: Omit<LoadResult, 'rps' | 'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean'>,
): LoadResult {
  const [p50, p90, p99, p999, max] = percentiles(latencies, [50, 90, 99, 99.9, 100]);
  return {
    ...counts,
    rps: counts.durationS > 0 ? counts.completed / counts.durationS : NaN,
    p50: p50 ?? NaN,
    p90: p90 ?? NaN,
    p99: p99 ?? NaN,
    p999: p999 ?? NaN,
    max: max ?? NaN,
    mean: mean(latencies),
  };
}

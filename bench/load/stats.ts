// Percentiles and medians over plain arrays.

/** Nearest-rank percentile, p in [0, 100]; NaN for no samples. Sorts a copy. */
export function percentiles(samples: ArrayLike<number>, ps: readonly number[]): number[] {
  const sorted = Float64Array.from(samples as ArrayLike<number>).sort();
  const n = sorted.length;
  return ps.map((p) =>
    n === 0 ? NaN : (sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] as number),
  );
}

export function median(values: readonly (number | null | undefined)[]): number {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return values.length === 0 ? NaN : s / values.length;
}

/** Nearest-rank-free quantile by linear interpolation (type 7), q in [0, 1]; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(n - 1, lo + 1)] as number;
  return a + (h - lo) * (b - a);
}

/**
 * A distribution-free confidence interval of the median from order statistics: the
 * k-th smallest and k-th largest of n samples, with k the largest for which the
 * coverage 1 - 2 P(Binomial(n, 1/2) < k) is still >= `level`. With too few samples for
 * that level the whole range is returned with its (lower) coverage.
 */
export function medianInterval(
  sorted: readonly number[],
  level = 0.95,
): { low: number; high: number; coverage: number } {
  const n = sorted.length;
  if (n === 0) return { low: NaN, high: NaN, coverage: 0 };
  // [x(k), x(n-k+1)] covers the median with probability 1 - 2 P(B <= k - 1).
  let pmf = 0.5 ** n; // P(B = 0)
  let cdf = pmf; // P(B <= k - 1) for k = 1
  let k = 1;
  let coverage = 1 - 2 * cdf;
  while (k + 1 <= n - k) {
    pmf = (pmf * (n - k + 1)) / k; // P(B = k)
    const next = 1 - 2 * (cdf + pmf);
    if (next < level) break;
    cdf += pmf;
    k++;
    coverage = next;
  }
  return { low: sorted[k - 1] as number, high: sorted[n - k] as number, coverage };
}

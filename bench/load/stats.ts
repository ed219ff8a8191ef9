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

// Turning weights into shares. Pure arithmetic, property-tested.

/** Scaled so the largest weight is 1: keeps sums and products clear of under/overflow. */
function normalised(weights: readonly number[]): number[] {
  let max = 0;
  for (const w of weights) if (w > max) max = w;
  return max > 0 ? weights.map((w) => w / max) : weights.map(() => 0);
}

/** Shares proportional to weights; null when no weight is positive. */
export function proportionalShares(raw: readonly number[]): number[] | null {
  const weights = normalised(raw);
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) return null;
  return weights.map((w) => w / total);
}

/**
 * Shares proportional to weights, none above `cap`, by water-filling: regions whose
 * proportional share exceeds the cap are pinned to it and the rest is spread again
 * among the others. Needs cap * n >= 1. All-zero weights spread evenly.
 */
export function cappedShares(raw: readonly number[], cap: number): number[] {
  const weights = normalised(raw);
  const n = weights.length;
  const shares = new Array<number>(n).fill(0);
  const free = new Set<number>(weights.keys());
  let remaining = 1;
  while (free.size > 0) {
    let total = 0;
    for (const i of free) total += weights[i] as number;
    if (!(total > 0)) {
      const even = remaining / free.size;
      for (const i of free) shares[i] = even;
      break;
    }
    const over: number[] = [];
    for (const i of free) {
      if (remaining * ((weights[i] as number) / total) > cap) over.push(i);
    }
    if (over.length === 0) {
      for (const i of free) shares[i] = remaining * ((weights[i] as number) / total);
      break;
    }
    for (const i of over) {
      shares[i] = cap;
      remaining -= cap;
      free.delete(i);
    }
  }
  return shares;
}

/**
 * Conservative spreading: every region gets at least `floor` and at most `cap`, the
 * rest follows the weights. Implemented as floor + (1 - n*floor) * capped shares with
 * the cap rescaled, so both bounds hold exactly. Needs n*floor <= 1 <= n*cap.
 */
export function boundedShares(weights: readonly number[], floor: number, cap: number): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const spread = 1 - n * floor;
  if (spread <= 0) return new Array<number>(n).fill(1 / n);
  const inner = cappedShares(weights, (cap - floor) / spread);
  return inner.map((s) => floor + spread * s);
}

// The two selectors switchyard's alias table is compared with, written here so the
// comparison runs in the same process and the same run.

/** Weighted pick by a linear scan over cumulative weights: O(n) per pick, no allocation. */
export class LinearScan {
  readonly size: number;
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(weights: ArrayLike<number>) {
    this.size = weights.length;
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      sum += weights[i] as number;
      this.cumulative[i] = sum;
    }
    this.total = sum;
  }

  pick(u: number): number {
    const x = u * this.total;
    const cum = this.cumulative;
    const last = this.size - 1;
    for (let i = 0; i < last; i++) {
      if (x < (cum[i] as number)) return i;
    }
    return last;
  }
}

/**
 * nginx's smooth weighted round robin (ngx_http_upstream_get_peer): every pick adds
 * each weight to its running value, takes the largest and subtracts the total from it.
 * Deterministic and evenly interleaved, but O(n) per pick. Ignores `u`.
 */
export class SmoothWeightedRoundRobin {
  readonly size: number;
  private readonly weights: Float64Array;
  private readonly current: Float64Array;
  private readonly total: number;

  constructor(weights: ArrayLike<number>) {
    this.size = weights.length;
    this.weights = Float64Array.from(weights as ArrayLike<number>);
    this.current = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) sum += weights[i] as number;
    this.total = sum;
  }

  pick(_u: number): number {
    const w = this.weights;
    const cur = this.current;
    let best = 0;
    let bestValue = -Infinity;
    for (let i = 0; i < this.size; i++) {
      const v = (cur[i] as number) + (w[i] as number);
      cur[i] = v;
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    cur[best] = bestValue - this.total;
    return best;
  }
}

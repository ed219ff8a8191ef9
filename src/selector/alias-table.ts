// Vose's alias method: O(n) to build when a plan changes, O(1) and allocation-free
// to pick. One uniform number in [0, 1) selects both the column and the coin flip.
//
// The coin flip is branchless: with skewed weights a branch on it is mispredicted
// often enough to make large tables measurably slower than small ones.

// Coin-flip thresholds are kept as 31-bit integers.
const SCALE = 2 ** 31;

export class AliasTable {
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  private readonly threshold: Int32Array;

  /** weights: non-negative, at least one positive. */
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i] as number;
    if (!(n > 0) || !(total > 0) || !Number.isFinite(total)) {
      throw new RangeError('AliasTable needs at least one positive, finite weight');
    }
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      const s = ((weights[i] as number) * n) / total;
      scaled[i] = s;
      if (s < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns] as number;
      const l = large[nl - 1] as number;
      this.prob[s] = scaled[s] as number;
      this.alias[s] = l;
      const rest = (scaled[l] as number) + (scaled[s] as number) - 1;
      scaled[l] = rest;
      if (rest < 1) {
        nl--;
        small[ns++] = l;
      }
    }
    // What is left is 1 up to rounding error: those columns always keep themselves.
    while (nl > 0) {
      const l = large[--nl] as number;
      this.prob[l] = 1;
      this.alias[l] = l;
    }
    while (ns > 0) {
      const s = small[--ns] as number;
      this.prob[s] = 1;
      this.alias[s] = s;
    }
    this.threshold = new Int32Array(n);
    for (let i = 0; i < n; i++) this.threshold[i] = Math.min(SCALE - 1, Math.round((this.prob[i] as number) * SCALE));
  }

  /** u: uniform in [0, 1). Returns an index whose probability is its weight's share. */
  pick(u: number): number {
    const x = u * this.size;
    const i = x | 0;
    const coin = ((x - i) * SCALE) | 0;
    const other = this.alias[i] as number;
    // (coin - threshold) >> 31 is all ones when the coin keeps column i, else 0.
    return other + ((i - other) & ((coin - (this.threshold[i] as number)) >> 31));
  }
}

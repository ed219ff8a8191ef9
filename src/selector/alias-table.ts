// Vose's alias method: O(n) to build when a plan changes, O(1) and allocation-free
// to pick. One uniform number in [0, 1) selects both the column and the coin flip.

export class AliasTable {
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

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
  }

  /** u: uniform in [0, 1). Returns an index whose probability is its weight's share. */
  pick(u: number): number {
    const x = u * this.size;
    const i = x | 0;
    return x - i < (this.prob[i] as number) ? i : (this.alias[i] as number);
  }
}

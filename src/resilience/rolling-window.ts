// Counts over a sliding time window, in fixed buckets: recording is a few array writes,
// with no allocation and no timers. Time is passed in.

export const ATTEMPTS = 0;
export const FAILURES = 1;
export const STATUS_429 = 2;
export const STATUS_400 = 3;
export const LATENCY_SUM = 4;
export const LATENCY_COUNT = 5;
const FIELDS = 6;

export class RollingWindow {
  private readonly cells: Float64Array;
  private readonly bucketMs: number;
  private headEpoch = -1;

  constructor(
    windowMs: number,
    private readonly buckets = 10,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / buckets));
    this.cells = new Float64Array(buckets * FIELDS);
  }

  /** Zeroes the buckets that have slid out of the window. */
  private advance(nowMs: number): void {
    const epoch = Math.floor(nowMs / this.bucketMs);
    if (epoch <= this.headEpoch) return;
    const stale = Math.min(this.buckets, this.headEpoch < 0 ? this.buckets : epoch - this.headEpoch);
    for (let e = epoch - stale + 1; e <= epoch; e++) {
      const b = e % this.buckets;
      this.cells.fill(0, b * FIELDS, b * FIELDS + FIELDS);
    }
    this.headEpoch = epoch;
  }

  add(field: number, value: number, nowMs: number): void {
    this.advance(nowMs);
    const b = this.headEpoch % this.buckets;
    this.cells[b * FIELDS + field] = (this.cells[b * FIELDS + field] as number) + value;
  }

  sum(field: number, nowMs: number): number {
    this.advance(nowMs);
    let total = 0;
    for (let b = 0; b < this.buckets; b++) total += this.cells[b * FIELDS + field] as number;
    return total;
  }

  /** The sum over the newest `buckets` buckets only (the current one included). */
  sumRecent(field: number, buckets: number, nowMs: number): number {
    this.advance(nowMs);
    const n = Math.min(buckets, this.buckets);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const b = (((this.headEpoch - i) % this.buckets) + this.buckets) % this.buckets;
      total += this.cells[b * FIELDS + field] as number;
    }
    return total;
  }

  reset(): void {
    this.cells.fill(0);
  }
}

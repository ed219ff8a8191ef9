// Tokens charged over the trailing minute, as a tokens-per-minute region reports its
// load. Sixty one-second buckets in a ring: a charge and a reading cost O(1) (a reading
// after a long quiet spell clears at most sixty buckets), whatever the request rate.
// The sum covers the current second and the 59 before it, on the fleet's clock.

const BUCKET_MS = 1000;
const BUCKETS = 60;

export class TrailingMinute {
  private readonly buckets = new Float64Array(BUCKETS);
  /** The second the newest bucket holds; null before the first charge or reading. */
  private second: number | null = null;
  private total = 0;

  constructor(private readonly now: () => number) {}

  add(amount: number): void {
    const i = slot(this.advance());
    this.buckets[i] = (this.buckets[i] ?? 0) + amount;
    this.total += amount;
  }

  sum(): number {
    this.advance();
    return this.total;
  }

  /** Empties the buckets that fell out of the minute; returns the current second. */
  private advance(): number {
    const second = Math.floor(this.now() / BUCKET_MS);
    const newest = this.second;
    // A clock that steps back keeps charging the newest bucket rather than losing charges.
    if (newest !== null && second <= newest) return newest;
    if (newest === null || second - newest >= BUCKETS) {
      this.buckets.fill(0);
      this.total = 0;
    } else {
      for (let s = newest + 1; s <= second; s++) {
        const i = slot(s);
        this.total -= this.buckets[i] ?? 0;
        this.buckets[i] = 0;
      }
    }
    this.second = second;
    return second;
  }
}

function slot(second: number): number {
  return ((second % BUCKETS) + BUCKETS) % BUCKETS;
}

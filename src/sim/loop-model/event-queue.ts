// A discrete-event clock: actions run in time order (ties in the order scheduled).
// The fleet model drives the router's real planning code with it, so hours of traffic
// run in seconds and every run with the same seed is the same run.

interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export class EventQueue {
  private readonly heap: Entry[] = [];
  private seq = 0;
  /** The current simulated time (ms). */
  now = 0;

  constructor(startMs = 0) {
    this.now = startMs;
  }

  at(timeMs: number, run: () => void): void {
    const entry = { at: Math.max(timeMs, this.now), seq: this.seq++, run };
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, h[parent] as Entry)) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = entry;
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.now + delayMs, run);
  }

  /** Runs every action due up to endMs (inclusive), then sets the clock to endMs. */
  runUntil(endMs: number): void {
    const h = this.heap;
    while (h.length > 0 && (h[0] as Entry).at <= endMs) {
      const top = h[0] as Entry;
      const last = h.pop() as Entry;
      if (h.length > 0) this.siftDown(last);
      this.now = top.at;
      top.run();
    }
    this.now = endMs;
  }

  private siftDown(entry: Entry): void {
    const h = this.heap;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(h[r] as Entry, h[l] as Entry) ? r : l;
      if (!before(h[child] as Entry, entry)) break;
      h[i] = h[child] as Entry;
      i = child;
    }
    h[i] = entry;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

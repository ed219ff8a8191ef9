// The requests of one deployment that wait for room: strict priority between bands,
// round robin between fairness keys inside a band, first in first out inside a key.
// Bounded by a count and by the bytes of the bodies it holds; when full, a newcomer may
// evict the newest request of the most crowded key of the lowest band, if it is less
// important (or equally important but its key holds more than the newcomer's).
//
// Pure bookkeeping: no timers, no I/O, and `now` is passed in, so that order, eviction,
// fairness and deadlines are tested on an injected clock. Removal (a client that left,
// a deadline) is lazy: the entry is marked and skipped when reached, so every operation
// but eviction's scan of a band's keys is O(1) or O(log n).
import { DeadlineHeap } from './deadline-heap.js';

/** What the queue needs of a waiting request; it owns the fields below `queue*`. */
export interface Waiting {
  readonly priority: number;
  /** Fairness key ('' for requests that carry none: they share one bucket). */
  readonly fairnessKey: string;
  readonly bytes: number;
  /** When it must be answered if still waiting (ms, the clock the queue is given). */
  readonly deadlineMs: number;
  /** When it first entered the queue (ms); kept when it comes back after a refusal. */
  readonly waitingSinceMs: number;
  /** Set by the queue: whether the entry is waiting now. */
  queued: boolean;
  heapIndex: number;
}

export interface QueueLimits {
  /** Most requests waiting; 0 admits none. */
  readonly maxQueued: number;
  /** Most body bytes held by waiting requests. */
  readonly maxQueuedBytes: number;
}

export type Offer<T> =
  | { readonly queued: true; readonly evicted: readonly T[] }
  | { readonly queued: false; readonly evicted: readonly T[] };

/** One fairness key in a band: its requests, oldest first (a deque over an array). */
class Lane<T extends Waiting> {
  items: (T | undefined)[] = [];
  head = 0;
  live = 0;
  constructor(readonly key: string) {}

  push(w: T): void {
    this.items.push(w);
    this.live++;
  }

  unshift(w: T): void {
    if (this.head > 0) this.items[--this.head] = w;
    else this.items.unshift(w);
    this.live++;
  }

  /** The oldest live entry, taken off the array (its books are the caller's). */
  shift(): T | null {
    while (this.head < this.items.length) {
      const w = this.items[this.head] as T;
      this.items[this.head++] = undefined;
      if (w.queued) {
        this.compact();
        return w;
      }
    }
    this.compact();
    return null;
  }

  /** The newest live entry, taken off the array (its books are the caller's). */
  pop(): T | null {
    while (this.items.length > this.head) {
      const w = this.items.pop() as T;
      if (w.queued) return w;
    }
    return null;
  }

  oldest(): T | null {
    for (let i = this.head; i < this.items.length; i++) {
      const w = this.items[i] as T;
      if (w.queued) return w;
    }
    return null;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

class Band<T extends Waiting> {
  readonly lanes = new Map<string, Lane<T>>();
  /** Keys with live requests, in round-robin order; `turn` is whose turn it is. */
  readonly ring: Lane<T>[] = [];
  turn = 0;
  live = 0;
  constructor(readonly priority: number) {}

  lane(key: string): Lane<T> {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = new Lane<T>(key);
      this.lanes.set(key, lane);
    }
    if (lane.live === 0) this.ring.push(lane);
    return lane;
  }

  /** A lane that holds no live request leaves the ring (and the map). */
  drop(lane: Lane<T>): void {
    const i = this.ring.indexOf(lane);
    if (i >= 0) {
      this.ring.splice(i, 1);
      if (i < this.turn) this.turn--;
      if (this.turn >= this.ring.length) this.turn = 0;
    }
    this.lanes.delete(lane.key);
  }
}

/** What one priority band holds, for /capacity and the gauges. */
export interface BandStats {
  readonly priority: number;
  readonly waiting: number;
  readonly keys: number;
  /** How long its oldest request has waited (ms); 0 when none. */
  readonly oldestWaitMs: number;
}

export class AdmissionQueue<T extends Waiting> {
  /** Bands by priority, most important first. */
  private bands: Band<T>[] = [];
  private readonly deadlines = new DeadlineHeap<T>();
  private count = 0;
  private held = 0;

  constructor(private limits: QueueLimits) {}

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.held;
  }

  /** A reload's new bounds; what waits stays, even above them (it drains or expires). */
  setLimits(limits: QueueLimits): void {
    this.limits = limits;
  }

  /**
   * Adds `w` unless the queue is full and nothing less important can make room. front:
   * a request that comes back after every region refused it goes first in its key.
   */
  offer(w: T, front = false): Offer<T> {
    const { maxQueued, maxQueuedBytes } = this.limits;
    if (maxQueued === 0 || w.bytes > maxQueuedBytes) return { queued: false, evicted: [] };
    const evicted: T[] = [];
    while (this.count + 1 > maxQueued || this.held + w.bytes > maxQueuedBytes) {
      const victim = this.victimFor(w);
      if (victim === null) return { queued: false, evicted };
      this.remove(victim);
      evicted.push(victim);
    }
    const band = this.bandOf(w.priority);
    const lane = band.lane(w.fairnessKey);
    if (front) lane.unshift(w);
    else lane.push(w);
    band.live++;
    w.queued = true;
    this.count++;
    this.held += w.bytes;
    this.deadlines.push(w);
    return { queued: true, evicted };
  }

  /** The next request to dispatch, removed: the highest band, the key whose turn it is, its oldest. */
  next(): T | null {
    for (let b = 0; b < this.bands.length; b++) {
      const band = this.bands[b] as Band<T>;
      if (band.live === 0) continue;
      const lane = band.ring[band.turn] as Lane<T>;
      const w = lane.shift() as T;
      this.take(band, lane, w);
      // The next key's turn (take() has moved the ring on if this lane left it).
      if (lane.live > 0) band.turn = band.turn + 1 >= band.ring.length ? 0 : band.turn + 1;
      return w;
    }
    return null;
  }

  /** The request next() would return, left in place; null when none waits. */
  peek(): T | null {
    for (const band of this.bands) {
      if (band.live === 0) continue;
      return (band.ring[band.turn] as Lane<T>).oldest();
    }
    return null;
  }

  /** The priority of the request next() would return; null when none waits. */
  headPriority(): number | null {
    for (const band of this.bands) if (band.live > 0) return band.priority;
    return null;
  }

  /** Takes `w` out wherever it is (its client left); false when it was not waiting. */
  remove(w: T): boolean {
    if (!w.queued) return false;
    const band = this.bandOf(w.priority);
    const lane = band.lanes.get(w.fairnessKey) as Lane<T>;
    this.take(band, lane, w);
    return true;
  }

  /** Removes and returns every request whose deadline is at or before nowMs. */
  expire(nowMs: number): T[] {
    const out: T[] = [];
    for (;;) {
      const w = this.deadlines.peek();
      if (w === null || w.deadlineMs > nowMs) return out;
      this.deadlines.pop();
      if (this.remove(w)) out.push(w);
    }
  }

  /** The earliest deadline of a waiting request (ms); null when none waits. */
  nextDeadlineMs(): number | null {
    return this.deadlines.peek()?.deadlineMs ?? null;
  }

  /** Everything waiting, removed (the router stops, or the deployment is gone). */
  drain(): T[] {
    const out: T[] = [];
    for (;;) {
      const w = this.next();
      if (w === null) return out;
      out.push(w);
    }
  }

  /** Requests waiting at `priority` or above. */
  waitingAtOrAbove(priority: number): number {
    let n = 0;
    for (const band of this.bands) if (band.priority >= priority) n += band.live;
    return n;
  }

  /** Per band, most important first: requests, keys and the oldest wait. */
  stats(nowMs: number): BandStats[] {
    const out: BandStats[] = [];
    for (const band of this.bands) {
      if (band.live === 0) continue;
      let oldest = Number.POSITIVE_INFINITY;
      for (const lane of band.ring) {
        const w = lane.oldest();
        if (w !== null && w.waitingSinceMs < oldest) oldest = w.waitingSinceMs;
      }
      out.push({
        priority: band.priority,
        waiting: band.live,
        keys: band.ring.length,
        oldestWaitMs: Math.max(0, nowMs - oldest),
      });
    }
    return out;
  }

  /**
   * Who makes room for `w`: the newest request of the most crowded key in the lowest
   * band that has any, when that band is less important than `w`, or as important and
   * that key holds more than one request beyond what `w`'s key holds there (so a key
   * flooding the queue loses its own newest, and cannot push out another key's).
   * Never a request more important than `w`.
   */
  private victimFor(w: T): T | null {
    for (let b = this.bands.length - 1; b >= 0; b--) {
      const band = this.bands[b] as Band<T>;
      if (band.live === 0) continue;
      if (band.priority > w.priority) return null;
      let crowded: Lane<T> | null = null;
      for (const lane of band.ring) if (crowded === null || lane.live > crowded.live) crowded = lane;
      if (crowded === null) return null;
      if (band.priority === w.priority) {
        const own = band.lanes.get(w.fairnessKey)?.live ?? 0;
        if (crowded.live <= own + 1) return null;
      }
      // Off the lane's array; the caller's remove() does the rest of the books.
      return crowded.pop();
    }
    return null;
  }

  private take(band: Band<T>, lane: Lane<T>, w: T): void {
    w.queued = false;
    lane.live--;
    band.live--;
    this.count--;
    this.held -= w.bytes;
    if (w.heapIndex >= 0) this.deadlines.remove(w);
    if (lane.live === 0) band.drop(lane);
  }

  private bandOf(priority: number): Band<T> {
    const bands = this.bands;
    let i = 0;
    while (i < bands.length && (bands[i] as Band<T>).priority > priority) i++;
    const found = bands[i];
    if (found !== undefined && found.priority === priority) return found;
    const band = new Band<T>(priority);
    bands.splice(i, 0, band);
    return band;
  }
}

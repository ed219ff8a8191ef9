// Deadlines for many requests that share one timeout (a body must arrive within
// limits.requestBodyTimeoutMs; a client must drain within limits.clientReadTimeoutMs).
//
// A timer per request would cost a Timeout object and a timer-list insertion on the
// hot path. Because every entry has the same timeout, entries added in time order
// expire in that order: an intrusive doubly linked list (the request's own object is
// the node) with one sweeping interval does it in O(1) per add/remove and no
// allocation. A deadline fires between timeoutMs and timeoutMs + one sweep period.

export interface DeadlineEntry {
  /** performance.now() value at which the entry expires; set by the list. */
  deadlineAt: number;
  deadlinePrev: DeadlineEntry | null;
  deadlineNext: DeadlineEntry | null;
  /** True while the entry is in a list. */
  deadlineListed: boolean;
  /** Called once, after the entry has been removed, when its deadline passes. */
  onDeadline(): void;
}

export class DeadlineList {
  private head: DeadlineEntry | null = null;
  private tail: DeadlineEntry | null = null;
  private readonly timer: NodeJS.Timeout;
  private retired = false;

  constructor(readonly timeoutMs: number) {
    // A tenth of the timeout keeps the overshoot at 10%; bounded so that a long timeout
    // still sweeps every second and a tiny one does not spin.
    const periodMs = Math.max(5, Math.min(1000, Math.floor(timeoutMs / 10)));
    this.timer = setInterval(() => this.sweep(performance.now()), periodMs);
    this.timer.unref();
  }

  /** Adds an entry that started at `startedAt` (performance.now(), never earlier than the last one added). */
  add(entry: DeadlineEntry, startedAt: number): void {
    if (entry.deadlineListed) this.remove(entry);
    entry.deadlineAt = startedAt + this.timeoutMs;
    entry.deadlineListed = true;
    entry.deadlinePrev = this.tail;
    entry.deadlineNext = null;
    if (this.tail === null) this.head = entry;
    else this.tail.deadlineNext = entry;
    this.tail = entry;
  }

  remove(entry: DeadlineEntry): void {
    if (!entry.deadlineListed) return;
    const { deadlinePrev: prev, deadlineNext: next } = entry;
    if (prev === null) this.head = next;
    else prev.deadlineNext = next;
    if (next === null) this.tail = prev;
    else next.deadlinePrev = prev;
    entry.deadlinePrev = null;
    entry.deadlineNext = null;
    entry.deadlineListed = false;
  }

  /** Expires every entry due at `now`. Exposed for tests. */
  sweep(now: number): void {
    for (let e = this.head; e !== null && e.deadlineAt <= now; e = this.head) {
      this.remove(e);
      e.onDeadline();
    }
    if (this.retired && this.head === null) this.close();
  }

  /**
   * A reload changed the timeout: a new list takes new entries, and this one keeps
   * sweeping those it holds (each keeps the deadline it was given), then stops.
   */
  retire(): void {
    this.retired = true;
    if (this.head === null) this.close();
  }

  get empty(): boolean {
    return this.head === null;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

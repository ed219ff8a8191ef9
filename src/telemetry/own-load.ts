// This router's own part of each region's load. A sidecar's traffic is often most of
// what a region reports as `inUse`, so a report is only useful once it is corrected
// by what this router started and finished since the report was measured: the
// in-flight count now, and the in-flight count at the report's `at`, kept in a short
// history sampled off the hot path.
//
// The hot path touches one integer per attempt (inFlight++ / --). Sampling, look-ups
// and capacity signals run when plans are rebuilt or when an attempt ends.

/** The in-flight count is sampled this often; a report's `at` is matched to the nearest sample. */
export const OWN_LOAD_SAMPLE_MS = 25;

/** One (model, region): what the data plane counts and what the planner reads. */
export class LoadCell {
  /** This router's attempts in flight to the region for the model, right now. */
  inFlight = 0;
  /**
   * After the region answered 429 ("full right now"), the most room it can have for
   * this router's requests, in telemetry units: what the router had in flight there
   * when the answer came. Infinity while no such signal holds.
   */
  roomCap = Number.POSITIVE_INFINITY;
  /** When the capacity signal was received, and when it stops holding (ms since epoch). */
  capAtMs = 0;
  capUntilMs = 0;

  private readonly samples: Int32Array;
  private head = -1;
  private count = 0;
  private lastSampleMs = 0;

  constructor(historyLength: number) {
    this.samples = new Int32Array(Math.max(1, historyLength));
  }

  record(nowMs: number): void {
    this.head = this.head + 1 === this.samples.length ? 0 : this.head + 1;
    this.samples[this.head] = this.inFlight;
    if (this.count < this.samples.length) this.count++;
    this.lastSampleMs = nowMs;
  }

  /**
   * In flight at `atMs`: the sample nearest to it; the current count for a time after
   * the newest sample, the oldest sample for a time before the history.
   */
  inFlightAt(atMs: number): number {
    if (this.count === 0) return this.inFlight;
    const back = Math.round((this.lastSampleMs - atMs) / OWN_LOAD_SAMPLE_MS);
    if (back < 0) return this.inFlight;
    const k = back >= this.count ? this.count - 1 : back;
    let i = this.head - k;
    if (i < 0) i += this.samples.length;
    return this.samples[i] as number;
  }

  /** A 429 at nowMs: the region was full with `room` of this router's load in it. */
  capRoom(room: number, nowMs: number, untilMs: number): void {
    this.roomCap = room;
    this.capAtMs = nowMs;
    this.capUntilMs = untilMs;
  }

  /** Drops a capacity signal that has run out, or that a newer measurement replaces. */
  expireCap(nowMs: number, newestReportAtMs: number | null): void {
    if (this.roomCap === Number.POSITIVE_INFINITY) return;
    if (nowMs >= this.capUntilMs || (newestReportAtMs !== null && newestReportAtMs > this.capAtMs)) {
      this.roomCap = Number.POSITIVE_INFINITY;
    }
  }
}

/** The planner's read-only view of the router's own load. */
export interface OwnLoadView {
  /** Null when the router has never sent this model to this region. */
  cellOf(model: string, region: string): LoadCell | null;
}

export class OwnLoad implements OwnLoadView {
  private readonly cells = new Map<string, LoadCell>();
  private readonly all: LoadCell[] = [];
  private readonly historyLength: number;

  /** historyMs: how far back a report's `at` can be matched (older ones use the oldest sample). */
  constructor(historyMs: number) {
    this.historyLength = Math.ceil(historyMs / OWN_LOAD_SAMPLE_MS) + 1;
  }

  /** The cell for (model, region), made on first use (at start-up, by the routes). */
  cell(model: string, region: string): LoadCell {
    const key = `${model}\u0000${region}`;
    let c = this.cells.get(key);
    if (c === undefined) {
      c = new LoadCell(this.historyLength);
      this.cells.set(key, c);
      this.all.push(c);
    }
    return c;
  }

  cellOf(model: string, region: string): LoadCell | null {
    return this.cells.get(`${model}\u0000${region}`) ?? null;
  }

  /** Called every OWN_LOAD_SAMPLE_MS by the router (or the fleet model's clock). */
  sample(nowMs: number): void {
    for (const c of this.all) c.record(nowMs);
  }
}

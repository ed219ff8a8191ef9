// This router's own part of each region's load. A sidecar's traffic is often most of
// what a region reports as `inUse`, so a report is only useful once it is corrected
// by what this router started and finished since the report was measured: its load
// now, and its load at the report's `at`, kept in a short history sampled off the hot
// path.
//
// The load is in the unit the model's telemetry counts (config capacityUnit):
// - requests: requests in flight, each counting loadPerRequest;
// - concurrent-tokens: the token estimates of the requests in flight (a KV cache holds
//   a request's prompt and output until it ends);
// - tokens-per-minute: the tokens charged over the last minute, kept in one-second
//   buckets (MinuteTokens): each request its estimate when it leaves, corrected by the
//   usage its answer reports, and refunded when it is refused (the service does not
//   charge a request it turns away).
//
// The hot path touches a few numbers per attempt (add / release). Sampling, look-ups
// and capacity signals run when plans are rebuilt or when an attempt ends.
import type { CapacityUnit } from '../config/types.js';

/** The in-flight count is sampled this often; a report's `at` is matched to the nearest sample. */
export const OWN_LOAD_SAMPLE_MS = 25;

/** Tokens charged over the trailing minute, in one-second buckets. */
export class MinuteTokens {
  static readonly SECONDS = 60;
  private readonly buckets = new Float64Array(MinuteTokens.SECONDS);
  /** The second (since the epoch) the newest bucket holds; -1 before the first charge. */
  private second = -1;
  total = 0;

  /** Drops the buckets older than a minute at `nowMs`; returns the total left. */
  advance(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    if (s <= this.second) return this.total;
    if (this.second < 0 || s - this.second >= MinuteTokens.SECONDS) {
      this.buckets.fill(0);
      this.total = 0;
    } else {
      for (let k = this.second + 1; k <= s; k++) {
        const i = k % MinuteTokens.SECONDS;
        this.total -= this.buckets[i] as number;
        this.buckets[i] = 0;
      }
      // Corrections can leave a rounding residue: a total is never below 0.
      if (this.total < 1e-9) this.total = 0;
    }
    this.second = s;
    return this.total;
  }

  add(tokens: number, nowMs: number): number {
    this.advance(nowMs);
    const i = Math.floor(nowMs / 1000) % MinuteTokens.SECONDS;
    this.buckets[i] = (this.buckets[i] as number) + tokens;
    this.total += tokens;
    return this.total;
  }

  /** A charge made at `atMs` becomes `actual` tokens (a charge older than a minute has gone already). */
  correct(charged: number, actual: number, atMs: number, nowMs: number): number {
    this.advance(nowMs);
    const s = Math.floor(atMs / 1000);
    if (s > this.second || s <= this.second - MinuteTokens.SECONDS) return this.total;
    const i = s % MinuteTokens.SECONDS;
    const before = this.buckets[i] as number;
    const after = Math.max(0, before - charged + actual);
    this.buckets[i] = after;
    this.total = Math.max(0, this.total + after - before);
    return this.total;
  }
}

/** One (model, region): what the data plane counts and what the planner reads. */
export class LoadCell {
  /** This router's attempts in flight to the region for the model, right now. */
  inFlight = 0;
  /** The telemetry unit of the model (set by OwnLoad.configure). */
  unit: CapacityUnit = 'requests';
  /** Unit requests: what one request in flight counts for (routing.loadPerRequest). */
  perRequest = 1;
  /** Unit concurrent-tokens: the estimates in flight. */
  private tokensInFlight = 0;
  /** Unit tokens-per-minute: the charges of the last minute; null in the other units. */
  private minute: MinuteTokens | null = null;
  /**
   * After the region answered 429 ("full right now"), the most room it can have for
   * this router's requests, in telemetry units: what the router had in flight there
   * when the answer came. Infinity while no such signal holds.
   */
  roomCap = Number.POSITIVE_INFINITY;
  /** When the capacity signal was received, and when it stops holding (ms since epoch). */
  capAtMs = 0;
  capUntilMs = 0;

  private readonly samples: Float64Array;
  private head = -1;
  private count = 0;
  private lastSampleMs = 0;

  constructor(historyLength: number) {
    this.samples = new Float64Array(Math.max(1, historyLength));
  }

  /** This router's load there now, in the model's telemetry unit. */
  get units(): number {
    if (this.unit === 'requests') return this.inFlight * this.perRequest;
    return this.minute === null ? this.tokensInFlight : this.minute.total;
  }

  /**
   * An attempt leaves for the region; `tokens` is its estimate (0 when none was made).
   * Returns what it was charged in the unit, for release() and correct().
   */
  add(tokens: number, nowMs: number): number {
    this.inFlight++;
    if (this.unit === 'requests') return this.perRequest;
    if (this.minute !== null) this.minute.add(tokens, nowMs);
    else this.tokensInFlight += tokens;
    return tokens;
  }

  /** An attempt ended: what it holds in flight is freed (a per-minute charge stays). */
  release(charged: number): void {
    this.inFlight--;
    if (this.unit !== 'concurrent-tokens') return;
    // Nothing in flight is nothing held, whatever a reload changed meanwhile.
    this.tokensInFlight = this.inFlight <= 0 ? 0 : Math.max(0, this.tokensInFlight - charged);
  }

  /**
   * Unit tokens-per-minute: a charge made at `atMs` becomes `actual` tokens (the usage
   * the answer reported; 0 when the region refused the request).
   */
  correct(charged: number, actual: number, atMs: number, nowMs: number): void {
    this.minute?.correct(charged, actual, atMs, nowMs);
  }

  /** The model's unit (a reload may change it: the load counted so far in another unit is dropped). */
  configure(unit: CapacityUnit, perRequest: number): void {
    this.perRequest = perRequest;
    if (unit === this.unit) return;
    this.unit = unit;
    this.tokensInFlight = 0;
    this.minute = unit === 'tokens-per-minute' ? new MinuteTokens() : null;
    this.samples.fill(0);
    this.count = 0;
  }

  record(nowMs: number): void {
    this.minute?.advance(nowMs);
    this.head = this.head + 1 === this.samples.length ? 0 : this.head + 1;
    this.samples[this.head] = this.units;
    if (this.count < this.samples.length) this.count++;
    this.lastSampleMs = nowMs;
  }

  /**
   * This router's load at `atMs`, in the unit: the sample nearest to it; the load now
   * for a time after the newest sample, the oldest sample for a time before the history.
   */
  unitsAt(atMs: number): number {
    if (this.count === 0) return this.units;
    const back = Math.round((this.lastSampleMs - atMs) / OWN_LOAD_SAMPLE_MS);
    if (back < 0) return this.units;
    const k = back >= this.count ? this.count - 1 : back;
    let i = this.head - k;
    if (i < 0) i += this.samples.length;
    return this.samples[i] as number;
  }

  /** A 429 at nowMs: the region was full with `room` (in the unit) of this router's load in it. */
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
  /** Each model's unit, and what a request counts in unit requests. */
  private units: ReadonlyMap<string, CapacityUnit> = new Map();
  private perRequest = 1;

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
      c.configure(this.units.get(model) ?? 'requests', this.perRequest);
      this.cells.set(key, c);
      this.all.push(c);
    }
    return c;
  }

  /** The units of the models (from the deployments; one per model) and routing.loadPerRequest; at start and on reload. */
  configure(units: ReadonlyMap<string, CapacityUnit>, perRequest: number): void {
    this.units = units;
    this.perRequest = perRequest;
    for (const [key, c] of this.cells) {
      c.configure(units.get(key.slice(0, key.indexOf('\u0000'))) ?? 'requests', perRequest);
    }
  }

  cellOf(model: string, region: string): LoadCell | null {
    return this.cells.get(`${model}\u0000${region}`) ?? null;
  }

  /** Called every OWN_LOAD_SAMPLE_MS by the router (or the fleet model's clock). */
  sample(nowMs: number): void {
    for (const c of this.all) c.record(nowMs);
  }
}

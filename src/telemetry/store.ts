// Every source's newest reading per (model, region), the state of each polled source,
// and the report the planner reads, made by the combination rule (combine.ts). Nothing
// here reads a clock: callers pass the times in.
import {
  type CombinedReport,
  type PolledSourceName,
  type SourceName,
  type SourceReading,
  combineReadings,
} from './combine.js';
import type { CapacityReport } from './report.js';

export type SourceStatus = 'ok' | 'error' | 'stale';

export interface SourceState {
  readonly lastSuccessAtMs: number | null;
  readonly lastAttemptAtMs: number | null;
  readonly lastPollOk: boolean;
  readonly lastError: string | null;
  readonly polls: number;
  readonly failures: number;
}

/** The load headers read off backend answers: no polls, only readings as traffic brings them. */
export interface InBandState {
  /** When the newest reading was measured; null before the first. */
  readonly lastAtMs: number | null;
  /** Readings taken in (for regions and models the config knows). */
  readonly readings: number;
}

export interface TelemetryView {
  report(model: string, region: string): CombinedReport | undefined;
  /** All sources together: fresh while any of them delivers (see combinedState). */
  readonly source: SourceState;
}

/** The contract's three states; "stale" also covers "never succeeded". */
export function sourceStatusOf(source: SourceState, nowMs: number, staleAfterMs: number): SourceStatus {
  if (source.lastSuccessAtMs === null || nowMs - source.lastSuccessAtMs > staleAfterMs) return 'stale';
  return source.lastPollOk ? 'ok' : 'error';
}

export interface IngestResult {
  readonly accepted: number;
  /** Regions or models the config does not know: ignored by contract. */
  readonly ignored: number;
  /** Older than what is already held for that region and model. */
  readonly outdated: number;
}

const NEVER: SourceState = {
  lastSuccessAtMs: null,
  lastAttemptAtMs: null,
  lastPollOk: false,
  lastError: null,
  polls: 0,
  failures: 0,
};

const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * All sources as one: the newest success of any of them (an in-band reading counts),
 * ok while no polled source's last attempt failed, the failing ones' errors listed
 * (each with its source's name when there are several).
 */
export function combinedState(
  polled: ReadonlyArray<readonly [PolledSourceName, SourceState]>,
  inBand: InBandState | null,
): SourceState {
  let lastSuccessAtMs = inBand?.lastAtMs ?? null;
  let lastAttemptAtMs: number | null = null;
  let polls = 0;
  let failures = 0;
  const errors: string[] = [];
  for (const [name, s] of polled) {
    lastSuccessAtMs = maxOf(lastSuccessAtMs, s.lastSuccessAtMs);
    lastAttemptAtMs = maxOf(lastAttemptAtMs, s.lastAttemptAtMs);
    polls += s.polls;
    failures += s.failures;
    // A source not asked yet has not failed. With one polled source, its name says nothing.
    if (s.polls > 0 && !s.lastPollOk) {
      const error = s.lastError ?? 'failed';
      errors.push(polled.length > 1 ? `${name}: ${error}` : error);
    }
  }
  return {
    lastSuccessAtMs,
    lastAttemptAtMs,
    lastPollOk: errors.length === 0,
    lastError: errors.length === 0 ? null : errors.join('; '),
    polls,
    failures,
  };
}

/** One (model, region): each source's newest reading, and their combination, made when asked. */
class Cell {
  readonly readings = new Map<SourceName, SourceReading>();
  private combined: CombinedReport | undefined;
  private dirty = false;

  constructor(
    readonly model: string,
    readonly region: string,
  ) {}

  /** Drops the readings of sources no longer configured. */
  keepOnly(sources: ReadonlySet<SourceName>): void {
    for (const source of this.readings.keys()) {
      if (!sources.has(source)) {
        this.readings.delete(source);
        this.dirty = true;
      }
    }
  }

  /** False when a newer reading of that source is held: a source may repeat or reorder. */
  put(reading: SourceReading): boolean {
    const held = this.readings.get(reading.source);
    if (held !== undefined && held.atMs > reading.atMs) return false;
    this.readings.set(reading.source, reading);
    this.dirty = true;
    return true;
  }

  report(): CombinedReport | undefined {
    if (this.dirty) {
      this.combined = combineReadings(this.model, this.region, [...this.readings.values()]);
      this.dirty = false;
    }
    return this.combined;
  }
}

export class TelemetryStore implements TelemetryView {
  /** The polled sources the router runs, in a fixed order (a reload may change them). */
  polled: readonly PolledSourceName[];
  private readonly cells = new Map<string, Cell>();
  private readonly states = new Map<PolledSourceName, SourceState>();
  private inBandState: InBandState | null;
  private combinedCache: SourceState | null = null;

  /**
   * polled: the sources that will report through recordSuccess/recordFailure; inBand:
   * whether answers' load headers are read (recordInBand).
   */
  constructor(
    private knownRegions: ReadonlySet<string>,
    private knownModels: ReadonlySet<string>,
    polled: readonly PolledSourceName[] = ['json'],
    inBand = false,
  ) {
    this.polled = polled;
    for (const name of polled) this.states.set(name, NEVER);
    this.inBandState = inBand ? { lastAtMs: null, readings: 0 } : null;
  }

  /**
   * A reload changed the regions, models or sources: readings of those that remain are
   * kept (the sources' states too, so routing does not turn blind for a poll), the
   * others dropped; a source the config adds starts as never polled.
   */
  retain(
    regions: ReadonlySet<string>,
    models: ReadonlySet<string>,
    polled: readonly PolledSourceName[],
    inBand: boolean,
  ): void {
    this.knownRegions = regions;
    this.knownModels = models;
    const kept = new Set<SourceName>(polled);
    if (inBand) kept.add('in-band');
    for (const [key, cell] of this.cells) {
      if (!regions.has(cell.region) || !models.has(cell.model)) this.cells.delete(key);
      else cell.keepOnly(kept);
    }
    for (const name of this.states.keys()) if (!polled.includes(name)) this.states.delete(name);
    for (const name of polled) if (!this.states.has(name)) this.states.set(name, NEVER);
    this.polled = polled;
    if (!inBand) this.inBandState = null;
    else this.inBandState ??= { lastAtMs: null, readings: 0 };
    this.combinedCache = null;
  }

  get source(): SourceState {
    this.combinedCache ??= combinedState(
      this.polled.map((name) => [name, this.stateOf(name)] as const),
      this.inBandState,
    );
    return this.combinedCache;
  }

  /** A polled source's own state (never polled: all null). */
  stateOf(name: PolledSourceName): SourceState {
    return this.states.get(name) ?? NEVER;
  }

  /** Null when in-band readings are off. */
  get inBand(): InBandState | null {
    return this.inBandState;
  }

  report(model: string, region: string): CombinedReport | undefined {
    return this.cells.get(cellKey(model, region))?.report();
  }

  /** Every region and model with a reading, for metrics and /capacity. */
  *reports(): IterableIterator<CombinedReport> {
    for (const cell of this.cells.values()) {
      const r = cell.report();
      if (r !== undefined) yield r;
    }
  }

  /** A successful poll of a polled source: its reports, each checked against the config. */
  recordSuccess(reports: readonly CapacityReport[], atMs: number, source: PolledSourceName = 'json'): IngestResult {
    let accepted = 0;
    let ignored = 0;
    let outdated = 0;
    for (const r of reports) {
      const cell = this.cellFor(r.model, r.region);
      if (cell === null) {
        ignored++;
        continue;
      }
      const reading = { source, capacity: r.capacity, inUse: r.inUse, utilisation: null, atMs: r.atMs };
      if (cell.put(reading)) accepted++;
      else outdated++;
    }
    const before = this.stateOf(source);
    this.setState(source, {
      lastSuccessAtMs: atMs,
      lastAttemptAtMs: atMs,
      lastPollOk: true,
      lastError: null,
      polls: before.polls + 1,
      failures: before.failures,
    });
    return { accepted, ignored, outdated };
  }

  /** A failed poll keeps every held reading; they simply age. */
  recordFailure(error: string, atMs: number, source: PolledSourceName = 'json'): void {
    const before = this.stateOf(source);
    this.setState(source, {
      ...before,
      lastAttemptAtMs: atMs,
      lastPollOk: false,
      lastError: error,
      polls: before.polls + 1,
      failures: before.failures + 1,
    });
  }

  /**
   * A load header read off an answer: a utilisation in [0, 1] and, from a rate limit,
   * a capacity. False when the region or model is unknown, in-band readings are off,
   * or a newer reading is held.
   */
  recordInBand(model: string, region: string, capacity: number | null, utilisation: number, atMs: number): boolean {
    const state = this.inBandState;
    const cell = this.cellFor(model, region);
    if (state === null || cell === null) return false;
    if (!cell.put({ source: 'in-band', capacity, inUse: null, utilisation, atMs })) return false;
    this.inBandState = { lastAtMs: maxOf(state.lastAtMs, atMs), readings: state.readings + 1 };
    this.combinedCache = null;
    return true;
  }

  private setState(source: PolledSourceName, state: SourceState): void {
    this.states.set(source, state);
    this.combinedCache = null;
  }

  private cellFor(model: string, region: string): Cell | null {
    if (!this.knownRegions.has(region) || !this.knownModels.has(model)) return null;
    const key = cellKey(model, region);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = new Cell(model, region);
      this.cells.set(key, cell);
    }
    return cell;
  }
}

function cellKey(model: string, region: string): string {
  return `${model}\u0000${region}`;
}

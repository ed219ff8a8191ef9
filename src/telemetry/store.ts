// The last good report per (model, region), and the state of the source that feeds
// them. Nothing here reads a clock: callers pass the times in.
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

export interface TelemetryView {
  report(model: string, region: string): CapacityReport | undefined;
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

export class TelemetryStore implements TelemetryView {
  private readonly byModel = new Map<string, Map<string, CapacityReport>>();
  private state: SourceState = {
    lastSuccessAtMs: null,
    lastAttemptAtMs: null,
    lastPollOk: false,
    lastError: null,
    polls: 0,
    failures: 0,
  };

  constructor(
    private knownRegions: ReadonlySet<string>,
    private knownModels: ReadonlySet<string>,
  ) {}

  /**
   * A reload changed the regions or models: reports of those that remain are kept (the
   * source's state too, so routing does not turn blind for a poll), the others dropped.
   */
  retain(regions: ReadonlySet<string>, models: ReadonlySet<string>): void {
    this.knownRegions = regions;
    this.knownModels = models;
    for (const [model, byRegion] of this.byModel) {
      if (!models.has(model)) {
        this.byModel.delete(model);
        continue;
      }
      for (const region of byRegion.keys()) if (!regions.has(region)) byRegion.delete(region);
    }
  }

  get source(): SourceState {
    return this.state;
  }

  report(model: string, region: string): CapacityReport | undefined {
    return this.byModel.get(model)?.get(region);
  }

  /** Every held report, for metrics and /capacity. */
  *reports(): IterableIterator<CapacityReport> {
    for (const regions of this.byModel.values()) yield* regions.values();
  }

  recordSuccess(reports: readonly CapacityReport[], atMs: number): IngestResult {
    let accepted = 0;
    let ignored = 0;
    let outdated = 0;
    for (const r of reports) {
      if (!this.knownRegions.has(r.region) || !this.knownModels.has(r.model)) {
        ignored++;
        continue;
      }
      let regions = this.byModel.get(r.model);
      if (regions === undefined) {
        regions = new Map();
        this.byModel.set(r.model, regions);
      }
      const held = regions.get(r.region);
      // A source may repeat or reorder reports; the newest measurement wins.
      if (held !== undefined && held.atMs > r.atMs) {
        outdated++;
        continue;
      }
      regions.set(r.region, r);
      accepted++;
    }
    this.state = {
      lastSuccessAtMs: atMs,
      lastAttemptAtMs: atMs,
      lastPollOk: true,
      lastError: null,
      polls: this.state.polls + 1,
      failures: this.state.failures,
    };
    return { accepted, ignored, outdated };
  }

  /** A failed poll keeps every held report; they simply age. */
  recordFailure(error: string, atMs: number): void {
    this.state = {
      ...this.state,
      lastAttemptAtMs: atMs,
      lastPollOk: false,
      lastError: error,
      polls: this.state.polls + 1,
      failures: this.state.failures + 1,
    };
  }
}

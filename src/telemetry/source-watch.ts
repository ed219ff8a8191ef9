// Whether the telemetry sources deliver, at a moment: each configured source's status
// (for /capacity and switchyard_telemetry_source_health) and all of them together
// (switchyard_telemetry_source_status, and one log line when it changes). Observed before
// every re-plan, which reads the overall status.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { SourceName } from './combine.js';
import { type SourceStatus, sourceStatusOf, type TelemetryStore } from './store.js';

const SOURCE_STATUSES: readonly SourceStatus[] = ['ok', 'error', 'stale'];

export class SourceWatch {
  /** All sources together, as last observed. */
  status: SourceStatus = 'stale';
  /** Each configured source's status, as last observed. */
  readonly statuses = new Map<SourceName, SourceStatus>();

  constructor(
    private readonly store: TelemetryStore,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private staleAfterMs: number,
  ) {}

  /** A reload: a source it removed leaves neither a status nor a health series behind. */
  reconfigure(staleAfterMs: number): void {
    this.staleAfterMs = staleAfterMs;
    const { store, metrics } = this;
    for (const source of [...this.statuses.keys()]) {
      const kept = source === 'in-band' ? store.inBand !== null : store.polled.includes(source);
      if (kept) continue;
      this.statuses.delete(source);
      for (const s of SOURCE_STATUSES) metrics.sourceHealth.remove(source, s);
    }
  }

  observe(nowMs: number): SourceStatus {
    const { store, metrics, staleAfterMs } = this;
    for (const name of store.polled) this.set(name, sourceStatusOf(store.stateOf(name), nowMs, staleAfterMs));
    const inBand = store.inBand;
    if (inBand !== null) {
      // Answers bring readings only while traffic flows: quiet is stale, never an error.
      const fresh = inBand.lastAtMs !== null && nowMs - inBand.lastAtMs <= staleAfterMs;
      this.set('in-band', fresh ? 'ok' : 'stale');
    }
    const status = sourceStatusOf(store.source, nowMs, staleAfterMs);
    if (status !== this.status) {
      metrics.sourceUp.labels(this.status).set(0);
      this.logger.info(
        { telemetry: status, previous: this.status, lastError: store.source.lastError },
        'telemetry source status changed',
      );
    }
    this.status = status;
    metrics.sourceUp.labels(status).set(1);
    return status;
  }

  private set(source: SourceName, status: SourceStatus): void {
    if (this.statuses.get(source) === status) return;
    this.statuses.set(source, status);
    for (const s of SOURCE_STATUSES) this.metrics.sourceHealth.labels(source, s).set(s === status ? 1 : 0);
  }
}

// The in-band source: one slot per (model, region), made at start-up, that the data
// plane fills from answers' load headers (load-headers.ts), and the step that moves
// the newest reading of each into the store when plans are rebuilt. Nothing is
// allocated per answer; the store sees at most one reading per slot per re-plan.
import type { Metrics } from '../../metrics/metrics.js';
import type { TelemetryStore } from '../store.js';
import { InBandSlot } from './slot.js';

export class InBandLoad {
  private readonly slots = new Map<string, InBandSlot>();
  private readonly all: InBandSlot[] = [];

  /** The slot for (model, region), made on first use (at start-up, by the deployments). */
  slot(model: string, region: string): InBandSlot {
    const key = `${model}\u0000${region}`;
    let s = this.slots.get(key);
    if (s === undefined) {
      s = new InBandSlot(model, region);
      this.slots.set(key, s);
      this.all.push(s);
    }
    return s;
  }

  /** New readings into the store; header counts into the metrics (when given). */
  collect(store: TelemetryStore, metrics: Metrics | null): void {
    for (const s of this.all) {
      if (s.atMs > s.collectedAtMs) {
        s.collectedAtMs = s.atMs;
        store.recordInBand(s.model, s.region, s.capacity > 0 ? s.capacity : null, s.utilisation, s.atMs);
      }
      if (metrics === null) continue;
      if (s.read !== s.countedRead) {
        metrics.inBandHeaders.labels(s.region, 'read').inc(s.read - s.countedRead);
        s.countedRead = s.read;
      }
      if (s.unreadable !== s.countedUnreadable) {
        metrics.inBandHeaders.labels(s.region, 'unreadable').inc(s.unreadable - s.countedUnreadable);
        s.countedUnreadable = s.unreadable;
      }
    }
  }
}

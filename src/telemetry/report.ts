// One region's capacity figure for one model, as the router keeps it.
export interface CapacityReport {
  readonly region: string;
  readonly model: string;
  readonly capacity: number;
  readonly inUse: number;
  /** When the figure was measured (ms since epoch), never later than when it arrived. */
  readonly atMs: number;
}

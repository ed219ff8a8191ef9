// The fleet's telemetry endpoint and the knobs that make it lie: per-region drop and
// freeze (incomplete and stale data, as in the incidents the router must survive) and
// whole-endpoint failures (500, malformed body, no answer at all).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson } from './replies.js';
import type { RegionTelemetryMode, SimRegion, SimTelemetryControls, TelemetryFailMode } from './types.js';

interface Figures {
  readonly capacity: number;
  readonly inUse: number;
  readonly at: string;
}

type RegionState =
  | { readonly mode: 'live' }
  | { readonly mode: 'dropped' }
  | { readonly mode: 'frozen'; readonly figures: Figures };

const LIVE: RegionState = { mode: 'live' };
const DROPPED: RegionState = { mode: 'dropped' };

// Cut mid-object: a body a JSON parser must reject, served with a JSON content type.
const MALFORMED_BODY = '{"reports":[{"region":';

export class TelemetryService implements SimTelemetryControls {
  private failing: TelemetryFailMode | null = null;
  private pollCount = 0;
  private readonly states = new Map<string, RegionState>();

  constructor(
    private readonly regions: ReadonlyArray<SimRegion>,
    private readonly models: readonly string[],
    private readonly now: () => number,
  ) {
    for (const r of regions) this.states.set(r.name, LIVE);
  }

  drop(region: string): void {
    this.stateOf(region);
    this.states.set(region, DROPPED);
  }

  freeze(region: string): void {
    // Freezing twice keeps the first figures: the point is that they keep ageing.
    if (this.stateOf(region).mode === 'frozen') return;
    this.states.set(region, { mode: 'frozen', figures: this.measure(this.regionNamed(region)) });
  }

  restore(region: string): void {
    this.stateOf(region);
    this.states.set(region, LIVE);
  }

  fail(mode: TelemetryFailMode | null): void {
    if (mode !== null && mode !== 'status500' && mode !== 'malformed' && mode !== 'hang') {
      throw new RangeError(`telemetry fail mode: expected status500, malformed, hang or null, got ${String(mode)}`);
    }
    this.failing = mode;
  }

  polls(): number {
    return this.pollCount;
  }

  failMode(): TelemetryFailMode | null {
    return this.failing;
  }

  regionMode(region: string): RegionTelemetryMode {
    return this.stateOf(region).mode;
  }

  /** GET /telemetry. A held ('hang') request is released only by the server closing its socket. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') {
      sendError(res, 405, 'method_not_allowed', 'telemetry is read with GET', { allow: 'GET' });
      return;
    }
    this.pollCount++;
    switch (this.failing) {
      case 'hang':
        return;
      case 'status500':
        return sendError(res, 500, 'sim_telemetry_failure', 'telemetry service failure (simulated)');
      case 'malformed':
        return sendJson(res, 200, MALFORMED_BODY, null);
      case null:
        return sendJson(res, 200, JSON.stringify({ reports: this.reports() }), null);
    }
  }

  private reports(): Array<{ region: string; model: string } & Figures> {
    const out: Array<{ region: string; model: string } & Figures> = [];
    for (const region of this.regions) {
      const state = this.stateOf(region.name);
      if (state.mode === 'dropped') continue;
      const figures = state.mode === 'frozen' ? state.figures : this.measure(region);
      for (const model of this.models) out.push({ region: region.name, model, ...figures });
    }
    return out;
  }

  // Capacity is shared by all models, so every model of a region reports the same
  // figures, in the region's capacity unit.
  private measure(region: SimRegion): Figures {
    return {
      capacity: region.capacity(),
      inUse: Math.round(region.inUse()),
      at: new Date(this.now()).toISOString(),
    };
  }

  private stateOf(region: string): RegionState {
    const state = this.states.get(region);
    if (state === undefined) throw new RangeError(`unknown region ${JSON.stringify(region)}`);
    return state;
  }

  private regionNamed(name: string): SimRegion {
    const region = this.regions.find((r) => r.name === name);
    if (region === undefined) throw new RangeError(`unknown region ${JSON.stringify(name)}`);
    return region;
  }
}

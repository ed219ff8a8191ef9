// The admission scenarios of `npm run bench:fleet`, on fleet a with the telemetry loop:
//
// - burst: load 0.6 with BURST_S seconds at 1.3 in the middle of the measured window;
//   30% of the requests are sheddable (x-switchyard-priority: -1), the rest priority 0.
//   The priority-0 requests should wait out the burst; the sheddable ones take the loss.
// - fairness: load 1.3 throughout (overload), four fairness keys, one of them sending
//   10x as much as each of the others. The light keys should be served as if the heavy
//   one were not there.
import type { LoadClass, RateShape } from './open-loop.js';
import type { ScenarioName } from './types.js';

export const SCENARIO_NAMES: readonly ScenarioName[] = ['burst', 'fairness'];

const PRIORITY_HEADER = 'x-switchyard-priority';
const FAIRNESS_HEADER = 'x-gateway-inference-fairness-id';

export const BURST_BASE_LOAD = 0.6;
export const BURST_PEAK_LOAD = 1.3;
export const BURST_S = 10;
export const SHEDDABLE_SHARE = 0.3;
export const FAIRNESS_LOAD = 1.3;
export const HEAVY_FACTOR = 10;
export const LIGHT_KEYS = 3;

/** The router's default admission.maxWaitMs, which the scenarios run with. */
export const MAX_WAIT_MS = 3000;

export interface Scenario {
  readonly name: ScenarioName;
  /** The base offered load (fraction of the fleet's capacity). */
  readonly load: number;
  readonly classes: readonly LoadClass[];
  /** The priority of each class, by name. */
  readonly priorities: Readonly<Record<string, number>>;
  /** The load's multiple of `load` over time, and its highest value. */
  shape(warmupMs: number, measureMs: number): { shape: RateShape; peak: number };
}

const flat = (): { shape: RateShape; peak: number } => ({ shape: () => 1, peak: 1 });

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  burst: {
    name: 'burst',
    load: BURST_BASE_LOAD,
    classes: [
      { name: 'priority 0', share: 1 - SHEDDABLE_SHARE, headers: {} },
      { name: 'sheddable (-1)', share: SHEDDABLE_SHARE, headers: { [PRIORITY_HEADER]: '-1' } },
    ],
    priorities: { 'priority 0': 0, 'sheddable (-1)': -1 },
    shape(warmupMs, measureMs) {
      // In the middle of the measured window (all of it when the window is shorter).
      const burstMs = Math.min(BURST_S * 1000, measureMs);
      const from = warmupMs + (measureMs - burstMs) / 2;
      const peak = BURST_PEAK_LOAD / BURST_BASE_LOAD;
      return { shape: (t) => (t >= from && t < from + burstMs ? peak : 1), peak };
    },
  },
  fairness: {
    name: 'fairness',
    load: FAIRNESS_LOAD,
    classes: [
      { name: 'heavy key', share: HEAVY_FACTOR, headers: { [FAIRNESS_HEADER]: 'heavy' } },
      ...Array.from({ length: LIGHT_KEYS }, (_, i) => ({
        name: `light key ${i + 1}`,
        share: 1,
        headers: { [FAIRNESS_HEADER]: `light-${i + 1}` },
      })),
    ],
    priorities: {},
    shape: flat,
  },
};

/** What a scenario's goal line says it runs. */
export function scenarioLabel(name: ScenarioName): string {
  return name === 'burst'
    ? `burst: load ${BURST_BASE_LOAD} with ${BURST_S} s at ${BURST_PEAK_LOAD}, ${Math.round(100 * SHEDDABLE_SHARE)}% sheddable`
    : `fairness: load ${FAIRNESS_LOAD}, one key at ${HEAVY_FACTOR}x each of ${LIGHT_KEYS} others`;
}

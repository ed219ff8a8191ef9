// Options of `npm run bench:fleet`.
import { commandLine, flag, number, numbers, oneOf, text } from '../../tools/argv.js';
import type { FleetName } from './fleets.js';
import type { ScenarioName } from './types.js';

export type PolicyName = 'switchyard' | 'round-robin' | 'static';
export const POLICIES: readonly PolicyName[] = ['switchyard', 'round-robin', 'static'];
const FLEET_NAMES: readonly FleetName[] = ['a', 'b', 'c'];
/** "matrix" is every fleet x load x routers x policy; the others are the admission scenarios (scenarios.ts). */
export type RunGroup = 'matrix' | ScenarioName;
const RUN_GROUPS: readonly RunGroup[] = ['matrix', 'burst', 'fairness'];

const positive = { min: Number.MIN_VALUE };
const SPEC = {
  seconds: number('measured seconds per run', 30, { ...positive, arg: 'S' }),
  warmup: number('seconds before measuring', 5, { ...positive, arg: 'S' }),
  fleets: oneOf('fleets to run', FLEET_NAMES),
  loads: numbers('offered loads on fleet a', [0.3, 0.5, 0.7, 0.8, 0.9, 1.2], positive),
  'other-loads': numbers('loads on fleets b and c', [0.8], positive),
  routers: numbers('router processes', [1, 4], { min: 1, integer: true }),
  policies: oneOf('policies to run (the matrix)', POLICIES),
  scenarios: oneOf(
    'what to run: matrix (fleets x loads x routers x policies), burst and fairness (admission on fleet a, once per router count)',
    RUN_GROUPS,
  ),
  'switchyard-dir': text('measure the build in D (a checkout with dist/) instead of this one', undefined, 'D'),
  label: text("name of that build's results (written to bench/fleet/NAME.json)", 'before', 'NAME'),
  out: text('where results go', 'bench/fleet', 'DIR'),
  seed: number('load generator seed', 1, { integer: true }),
  'report-only': flag('rewrite RESULTS.md and shares.svg from results.json'),
};

export type FleetBenchOptions = ReturnType<typeof parseFleetOptions>;

export function parseFleetOptions() {
  const o = commandLine(SPEC, { usage: 'usage: npm run bench:fleet [-- options]' });
  return {
    seconds: o.seconds,
    warmupSeconds: o.warmup,
    fleets: o.fleets,
    loads: o.loads,
    /** The full matrix on fleet (a); the other fleets only at these loads. */
    otherFleetLoads: o['other-loads'],
    routers: o.routers,
    policies: o.policies,
    /** Which groups of runs: the matrix and/or the admission scenarios. */
    scenarios: o.scenarios,
    out: o.out,
    /** Another build of switchyard to measure (its dist/src/cli.js), e.g. an earlier commit. */
    switchyardDir: o['switchyard-dir'] ?? null,
    /** Written to a file of its own when measuring another build. */
    label: o.label,
    seed: o.seed,
    /** Rewrite RESULTS.md and the chart from results.json without running anything. */
    reportOnly: o['report-only'],
  };
}

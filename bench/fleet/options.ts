// Options of `npm run bench:fleet`.
import { commandLine, flag, number, numbers, oneOf, text } from '../../tools/argv.js';
import type { FleetName } from './fleets.js';
import type { ScenarioName } from './types.js';

export type PolicyName = 'switchyard' | 'round-robin' | 'static';
export const POLICIES: readonly PolicyName[] = ['switchyard', 'round-robin', 'static'];
/** The token fleet's policies: request-count is switchyard counting requests (the ablation). */
export type TokenPolicyName = PolicyName | 'request-count';
const TOKEN_POLICIES: readonly TokenPolicyName[] = ['switchyard', 'request-count', 'static', 'round-robin'];
const FLEET_NAMES: readonly FleetName[] = ['a', 'b', 'c'];
/**
 * "matrix" is every fleet x load x routers x policy; burst and fairness are the
 * admission scenarios (scenarios.ts); tokens is the token fleet (token-fleet.ts).
 */
export type RunGroup = 'matrix' | ScenarioName | 'tokens';
export const RUN_GROUPS: readonly RunGroup[] = ['matrix', 'burst', 'fairness', 'tokens'];

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
    'what to run: matrix (fleets x loads x routers x policies), burst and fairness (admission on fleet a, once per router count), tokens (the token fleet)',
    RUN_GROUPS,
  ),
  'token-loads': numbers('offered loads on the token fleet (of its tokens)', [0.5, 0.8, 1, 1.2], positive),
  'token-policies': oneOf('policies on the token fleet', TOKEN_POLICIES, ['switchyard', 'request-count', 'static']),
  'token-routers': numbers('router processes on the token fleet', [1], { min: 1, integer: true }),
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
    /** Which groups of runs: the matrix, the admission scenarios, the token fleet. */
    scenarios: o.scenarios,
    tokenLoads: o['token-loads'],
    tokenPolicies: o['token-policies'],
    tokenRouters: o['token-routers'],
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

// The policies every incident runs: router configs on the same proxy path, each on top
// of the router's defaults. Switchyard's only setting of its own is its shedding limit,
// sized for this fleet; every ablation is that config with exactly one key changed.
import { fleetFreeSlots } from './fleet.js';
import type { PolicySpec } from './types.js';

type Config = PolicySpec['config'];

/**
 * Over this many requests in flight the router sheds at once (429 Overloaded,
 * Retry-After 1 s): the slots the fleet has for these clients on average (capacity
 * minus other tenants' mean load, 174). There is no per-backend limit: one number
 * cannot fit regions of 20 to 60 slots, and the room the loop tracks per region does
 * that job.
 */
export const SWITCHYARD_SHEDDING = { maxInFlight: fleetFreeSlots(), maxInFlightPerBackend: 0 };

const SWITCHYARD_CONFIG: Config = { shedding: SWITCHYARD_SHEDDING };

export const SWITCHYARD: PolicySpec = {
  name: 'switchyard',
  kind: 'switchyard',
  description: `defaults; shedding.maxInFlight ${SWITCHYARD_SHEDDING.maxInFlight}`,
  config: SWITCHYARD_CONFIG,
};

/**
 * What a baseline lacks besides its routing: a load balancer of its kind answers at once
 * when its backends are full. It has no admission queue, so the baselines run with
 * admission.maxWaitMs 0 (no waiting, no shedding by priority).
 */
const NO_WAITING = { maxWaitMs: 0 };

export const ROUND_ROBIN: PolicySpec = {
  name: 'round robin',
  kind: 'baseline',
  description:
    'routing.policy round-robin (every region of the boundary in turn; telemetry unused); no admission queue',
  config: { routing: { policy: 'round-robin' }, admission: NO_WAITING },
};

export const TRUST_THE_TABLE: PolicySpec = {
  name: 'trust the table',
  kind: 'baseline',
  description:
    'routing.policy reported-headroom (a region without fresh data counts as zero), retries without a budget, every 429 with Retry-After rests the region; no admission queue',
  config: {
    routing: { policy: 'reported-headroom' },
    retry: { budgetPercent: 100, minConcurrent: 100_000 },
    cooldown: { minRetryAfterMs: 1 },
    admission: NO_WAITING,
  },
};

/** Switchyard with one key changed. */
export function ablation(
  name: string,
  description: string,
  section: string,
  keys: Record<string, unknown>,
): PolicySpec {
  if (Object.keys(keys).length !== 1) throw new Error(`ablation ${name}: change exactly one key`);
  return { name, kind: 'ablation', description, config: merge(SWITCHYARD_CONFIG, { [section]: keys }) };
}

export const NO_CONSERVATIVE_MODE = ablation(
  'no conservative mode',
  'telemetry.minCoverage 0: never conservative, blind regions weighed at an estimate',
  'telemetry',
  { minCoverage: 0 },
);
export const NO_400_DETECTION = ablation(
  'no 400 detection',
  'outlier.status400 false: a region answering 400 is not ejected for it',
  'outlier',
  { status400: false },
);
export const NO_RETRY_BUDGET = ablation(
  'no retry budget',
  'retry.minConcurrent 100000: every retry the attempts allow is made',
  'retry',
  { minConcurrent: 100_000 },
);
export const NO_SHEDDING = ablation('no load shedding', 'shedding.maxInFlight 0: unbounded', 'shedding', {
  maxInFlight: 0,
});
export const NO_SLOW_START = ablation(
  'no slow start',
  'slowStart.enabled false: a region back gets its full weight at once',
  'slowStart',
  { enabled: false },
);
export const NO_ADMISSION = ablation(
  'no admission',
  'admission.maxWaitMs 0: no waiting for room; a request the boundary has no room for is sent anyway or refused',
  'admission',
  NO_WAITING,
);
export const NO_PICK_BY_LOAD = ablation(
  'no pick by load',
  'routing.pickByLoad false: picks follow the planned shares alone',
  'routing',
  { pickByLoad: false },
);

/** Switchyard's config, with clients that send priorities. */
export function variant(name: string, description: string, clients: Pick<PolicySpec, 'backlogPriority'>): PolicySpec {
  return { name, kind: 'variant', description, config: SWITCHYARD_CONFIG, ...clients };
}

export const CLIENT_PRIORITIES = variant(
  'client priorities',
  "switchyard's config; the backlog's requests send x-switchyard-priority -1 (sheddable), the others none (0)",
  { backlogPriority: -1 },
);

/** Sections merged one level deep: b's keys win. */
export function merge(a: Config, b: Config): Config {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(a)) out[k] = { ...v };
  for (const [k, v] of Object.entries(b)) out[k] = { ...out[k], ...v };
  return out;
}

// The shapes of an incident, a policy and the results replay/results.json is written in.
import type { RequestSizeOptions } from '../src/sim/request-sizes.js';
import type { SimFleetOptions } from '../src/sim/types.js';
import type { MachineInfo } from '../tools/machine.js';

export type IncidentName =
  | 'engine-mismatch'
  | 'incomplete-telemetry'
  | 'retry-storm'
  | 'power-loss'
  | 'quota-exhaustion';

/** Router config sections, merged one level deep on top of the router's defaults. */
export type RouterConfig = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/**
 * The simulated fleet an incident runs on (fleet.ts: the demo's regions with slots;
 * quota-fleet.ts: the same regions with tokens-per-minute quotas).
 */
export interface ReplayFleet {
  /** One line: what the regions' capacity is. */
  readonly label: string;
  simOptions(): Omit<SimFleetOptions, 'now'>;
  /** The clients' requests per second at load 1 (the fleet's capacity for them). */
  capacityRate(): number;
  /** Other tenants' load in a region at replay time tS, in the fleet's capacity unit. */
  backgroundAt(region: string, tS: number): number;
  /** Router keys that describe this fleet (its capacity unit, say), for every policy: under the policy's own keys. */
  readonly routerConfig: RouterConfig;
  /** The sizes of the clients' usual requests; absent: every request is the same short chat. */
  readonly sizes?: RequestSizeOptions;
}

/** One tenant's extra requests, all of one deployment, over [fromS, toS). */
export interface TenantBurst {
  readonly label: string;
  readonly deployment: string;
  readonly fromS: number;
  readonly toS: number;
  readonly ratePerSecond: number;
  /** Poisson arrivals (default), or one every 1 / ratePerSecond seconds from fromS (a job submitting its items at its own pace). */
  readonly spacing?: 'poisson' | 'even';
  /** Their sizes (drawn from a stream of their own). */
  readonly sizes: RequestSizeOptions;
}

/** SDK-like clients: how many times they retry a 429, 408, 409, 5xx or lost connection. */
export interface ClientModel {
  readonly maxRetries: number;
  readonly label: string;
}

/** Something done to the fleet at a moment of the incident, as simulator control calls. */
export interface IncidentEvent {
  readonly atS: number;
  readonly label: string;
  /** Paths under the simulator's /control, each POSTed. */
  readonly control: readonly string[];
}

export interface Incident {
  readonly name: IncidentName;
  /** One line: what happens. */
  readonly title: string;
  /** Clients send during [0, seconds). */
  readonly seconds: number;
  /** From the first fault to the end of the last one: the chart's band; recovery counts from its end. */
  readonly fault: { readonly startS: number; readonly endS: number };
  /** Offered load outside any surge, as a fraction of the fleet's capacity for the clients. */
  readonly load: number;
  /** Multiplier of the load at time tS (a backlog released, for example); 1 when absent. */
  readonly surge?: (tS: number) => number;
  readonly client: ClientModel;
  readonly events: readonly IncidentEvent[];
  /** Other tenants' load in a region at tS, given the fleet's usual figure; the usual when absent. */
  readonly background?: (region: string, tS: number, usual: number) => number;
  /** Requests of one deployment held back by its clients while its region is out, all sent at releaseS. */
  readonly pentUp?: {
    readonly deployment: string;
    readonly fromS: number;
    readonly releaseS: number;
    /** The held requests go out over this long, in their order. */
    readonly spreadS: number;
  };
  /** The fleet it runs on; the demo's regions with slots (fleet.ts) when absent. */
  readonly fleet?: ReplayFleet;
  /** The usual requests' share per deployment; fleet.ts DEPLOYMENTS' weights when absent (a deployment not named gets none). */
  readonly mix?: Readonly<Record<string, number>>;
  /** Tenants' extra requests, counted as the incident's backlog (its extra load). */
  readonly bursts?: readonly TenantBurst[];
  /**
   * Start the clock on a multiple of this many milliseconds of the wall clock (the
   * quota windows, which the fleet and the router both align on), so that every
   * policy's run meets the windows at the same moments of the incident.
   */
  readonly alignMs?: number;
  /** switchyard as an operator would configure it for this incident; policies.ts SWITCHYARD when absent. */
  readonly switchyard?: PolicySpec;
  /** Switchyard with one mechanism off, for this incident. */
  readonly ablations: readonly PolicySpec[];
  /** Switchyard with its clients changed (they send priorities), for this incident; none when absent. */
  readonly variants?: readonly PolicySpec[];
}

/**
 * THE switchyard policy (one per incident), the baselines and ablations it is compared
 * with, and variants: switchyard's config with different clients, judged on their own.
 */
export type PolicyKind = 'switchyard' | 'baseline' | 'ablation' | 'variant';

export interface PolicySpec {
  readonly name: string;
  readonly kind: PolicyKind;
  /** What it is, for the tables. */
  readonly description: string;
  /** Config keys set on top of the router's defaults (sections merged one level deep). */
  readonly config: RouterConfig;
  /** The x-switchyard-priority the backlog's requests send; the other requests never send one. None when absent. */
  readonly backlogPriority?: number;
}

export interface RouterEvent {
  readonly tS: number;
  readonly what: string;
}

export interface Series {
  /** Bin width in seconds. */
  readonly binS: number;
  /** Per bin: the share of upstream attempts each region received (REGION_NAMES order). */
  readonly shares: ReadonlyArray<readonly number[]>;
  /** Per bin: the fraction of the requests sent then that failed in the end; null when none were sent. */
  readonly failureRate: ReadonlyArray<number | null>;
}

export interface PolicyResult {
  readonly policy: string;
  readonly kind: PolicyKind;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly failedRate: number;
  /** Failed requests by their last answer. */
  readonly status429: number;
  readonly status400: number;
  readonly status5xx: number;
  readonly transportErrors: number;
  /** Requests that had no answer when the run's drain ended (counted as failed). */
  readonly unfinished: number;
  /** Failed requests whose last answer the router gave itself (shed, no capacity, no region). */
  readonly routerAnswered: number;
  readonly failedByDeployment: Readonly<Record<string, number>>;
  /** Tokens of the requests sent and of the failed ones (body bytes / 4 + max_tokens), when the requests have sizes. */
  readonly sentTokens?: number;
  readonly failedTokens?: number;
  /**
   * Requests of the backlog (a surge's extra load), and the failed ones of the backlog
   * and of the rest (the interactive requests). Absent in results written before the
   * schedule marked the backlog.
   */
  readonly sentBacklog?: number;
  readonly failedBacklog?: number;
  readonly failedInteractive?: number;
  readonly failedBeforeFault: number;
  readonly failedDuringFault: number;
  readonly failedAfterFault: number;
  /**
   * Served requests' time from arrival to answer, the client's waits and retries
   * included: p50 and p99 in ms, of all of them and of the interactive ones (not the
   * backlog). Null when none was served; absent in results written before it was measured.
   */
  readonly timeToAnswerP50Ms?: number | null;
  readonly timeToAnswerP99Ms?: number | null;
  readonly interactiveTimeToAnswerP50Ms?: number | null;
  readonly interactiveTimeToAnswerP99Ms?: number | null;
  readonly clientAttempts: number;
  readonly upstreamAttempts: number;
  /** Upstream attempts (counted at the backends) per client request. */
  readonly retryAmplification: number;
  /** Upstream attempts per attempt a client made (its own retries included): what the router adds. */
  readonly upstreamPerClientAttempt: number;
  readonly backend429: number;
  readonly backend400: number;
  /** Highest (in flight + background) / capacity of any region in any sample. */
  readonly peakUtilisation: number;
  /** Region-seconds in which a region turned requests away because it was full. */
  readonly secondsOverCapacity: number;
  /** Mean fraction of the fleet's capacity idle in regions that were not full, over the samples in which some region or the router turned requests away. */
  readonly idleWhileRejecting: number | null;
  /** Seconds from the fault's end until every later second's requests fail no more than before the fault (+2 points); null: not within the run. */
  readonly recoverySeconds: number | null;
  /** Requests of a deployment that reached a region outside its boundary (counted at the backends). */
  readonly boundaryViolations: number;
  readonly routerEvents: readonly RouterEvent[];
  readonly series: Series;
}

export interface IncidentResult {
  readonly name: IncidentName;
  readonly title: string;
  readonly seconds: number;
  readonly fault: { readonly startS: number; readonly endS: number };
  readonly load: number;
  readonly ratePerSecond: number;
  /** The fleet's label when it is not the demo's slots (absent in older results). */
  readonly fleet?: string;
  readonly client: ClientModel;
  readonly events: ReadonlyArray<{ readonly atS: number; readonly label: string }>;
  readonly regions: readonly string[];
  readonly policies: readonly PolicyResult[];
}

export interface ReplayResults {
  readonly command: string;
  readonly machine: MachineInfo;
  /** False when a test suite was running on the machine when the replay started. */
  readonly quiet: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seed: number;
  /** Time scale of the incidents (1 = as documented; the test runs them shorter). */
  readonly scale: number;
  readonly incidents: readonly IncidentResult[];
}

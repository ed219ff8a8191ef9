// The shapes of an incident, a policy and the results replay/results.json is written in.
import type { MachineInfo } from '../tools/machine.js';

export type IncidentName = 'engine-mismatch' | 'incomplete-telemetry' | 'retry-storm' | 'power-loss';

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
  readonly config: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
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

// The shapes bench/fleet/results.json is written in.
import type { MachineInfo } from '../../tools/machine.js';
import type { WaitFigures } from './wait-histogram.js';

/**
 * The admission scenarios; a row without one is of the matrix (fleets x loads x routers
 * x policies) or of the token fleet (fleet "tokens").
 */
export type ScenarioName = 'burst' | 'fairness';

/** A token fleet run's figures, in tokens as the fleet counts them (prompt bytes / 4 + max_tokens). */
export interface TokenFigures {
  /** Tokens of the requests sent in the measured window. */
  readonly offered: number;
  /** Tokens of those that failed (any non-2xx answer after the router's retries). */
  readonly failed: number;
  /** Tokens of those served, per measured second. */
  readonly servedPerSecond: number;
  /** Tokens served over tokens offered, times the offered load. */
  readonly goodput: number;
}

/** One class of the clients' requests in a scenario (a priority, a fairness key). */
export interface ClassRow {
  readonly name: string;
  /** The priority its requests carry (0 when they carry none). */
  readonly priority: number;
  readonly sent: number;
  readonly failed: number;
  /** Answers the router gave itself (Shed, QueueTimeout, ...). */
  readonly routerRejected: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Send to last byte of 2xx answers, ms. */
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  /**
   * The wait as the client sees it: its p99 latency minus the fleet's service time
   * (retries after a region's 429 included), for classes the router's histogram cannot
   * tell apart (fairness keys share a priority).
   */
  readonly clientWaitP99Ms: number | null;
}

export interface FleetRow {
  readonly fleet: string;
  readonly load: number;
  readonly routers: number;
  readonly policy: string;
  /** "current", or the label of another build measured with --switchyard-dir. */
  readonly build: string;
  readonly sent: number;
  /** Every non-2xx answer. */
  readonly failed: number;
  /** Answers the router gave itself (no x-switchyard-region). */
  readonly routerRejected: number;
  /** 429s that came from a backend (after the router's retries). */
  readonly backend429: number;
  readonly status5xx: number;
  readonly transportErrors: number;
  /**
   * The fraction of requests served times the offered load: requests served per second
   * over the fleet's capacity had the clients sent exactly the nominal rate (so the size
   * of the Poisson sample does not move it).
   */
  readonly goodput: number;
  /** Requests served per second over the fleet's capacity, as measured. */
  readonly servedPerCapacity?: number;
  /** Mean fraction of traffic moved between consecutive plans (router 0, every 250 ms). */
  readonly shareSwing: number;
  readonly longestIdleZeroShareMs: number;
  readonly utilisation: ReadonlyArray<{ readonly region: string; readonly mean: number; readonly std: number }>;
  readonly erlangPooled: number | null;
  readonly erlangStatic: number | null;
  readonly seconds: number;
  /** Absent: a row of the matrix. Rows written before the admission scenarios have none. */
  readonly scenario?: ScenarioName;
  /** Admission wait over every request from the routers' histogram (absent in older results). */
  readonly wait?: WaitFigures | null;
  /** Wait per priority, same source. */
  readonly waitByPriority?: Readonly<Record<string, WaitFigures>>;
  /** Per class of requests (scenarios only). */
  readonly classes?: readonly ClassRow[];
  /** Token fleet runs only. */
  readonly tokens?: TokenFigures;
}

export interface RunSeries {
  readonly fleet: string;
  readonly load: number;
  readonly routers: number;
  readonly build: string;
  readonly regions: readonly string[];
  readonly points: ReadonlyArray<{
    readonly t: number;
    readonly shares: readonly number[];
    readonly utilisation: readonly number[];
  }>;
}

/** How a run was made: its command, machine and times. */
export interface RunInfo {
  readonly command: string;
  readonly machine: MachineInfo;
  /** False when a test suite was running on the machine when the benchmark started. */
  readonly quiet: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

/** A run whose rows were merged into results.json without its matrix (`--scenarios tokens`, say). */
export interface OtherRun extends RunInfo {
  /** The groups of rows (options.ts RunGroup) of this run still in the file. */
  readonly groups: readonly string[];
}

/**
 * The file: its top-level fields describe the run that measured the matrix (or, with no
 * matrix in the file, the newest run); rows of other groups measured by later runs
 * are kept with them and those runs listed in otherRuns.
 */
export interface FleetResults extends RunInfo {
  readonly rows: readonly FleetRow[];
  readonly series: readonly RunSeries[];
  /** Absent: every row is of the run the top-level fields describe. */
  readonly otherRuns?: readonly OtherRun[];
}

// What the planner takes and what it produces. Plain data: the planner is a pure
// function from these inputs (and `now`) to a plan.
import type { CapacityUnit, DeploymentType, RoutingPolicy } from '../config/types.js';
import type { SourceName, SourceReading } from '../telemetry/combine.js';
import type { SourceStatus, TelemetryView } from '../telemetry/store.js';
import type { RegionLoad } from './load-estimate.js';

export type RoutingMode = 'normal' | 'conservative';

/**
 * active: may receive traffic. no-backend: inside the boundary but nothing to send to.
 * The others come from the router's own observations (resilience): ejected for
 * failures, cooling down after a Retry-After, or ramping back up after recovery.
 */
export type RegionState = 'active' | 'no-backend' | 'ejected' | 'cooldown' | 'slow-start' | 'suspect';

export interface RegionAvailability {
  readonly state: 'ejected' | 'cooldown' | 'slow-start' | 'suspect';
  readonly reason: string;
  /** Why an ejection happened: the ejection cap and the last-region rule depend on it. */
  readonly kind: 'failure' | 'status400' | null;
  /** When the state began (ms since epoch): older ejections win the ejection cap. */
  readonly sinceMs: number;
  /** When an ejection or cooldown ends (ms since epoch); null for slow start. */
  readonly untilMs: number | null;
  /** Slow start: fraction of its weight the region gets back so far, in (0, 1]; suspect: outlier.suspectWeight. */
  readonly weightFactor: number;
}

export type AvailabilityLookup = (model: string, region: string) => RegionAvailability | undefined;

/**
 * Passive capacity: the router's own view of a region (429 rate, latency), as a
 * multiplier in (0, 1] applied to its weight in conservative mode only, where
 * telemetry cannot be trusted.
 */
export type PassiveFactorLookup = (model: string, region: string) => number;

export interface PlannerSettings {
  readonly staleAfterMs: number;
  readonly estimateMaxAgeMs: number;
  readonly minCoverage: number;
  readonly maxShareFactor: number;
  /** At most this percentage of a deployment's servable regions may be ejected. */
  readonly maxEjectionPercent: number;
  /** Conservative mode: every active region gets at least minShareFactor / N. */
  readonly minShareFactor: number;
  /** Normal mode: no region's weight above this many times the mean of its peers'. */
  readonly maxWeightRatio: number;
  /** adaptive follows telemetry; static and round-robin ignore it (baselines). */
  readonly policy: RoutingPolicy;
  /** Policy static: weight per region (1 when not listed). */
  readonly staticWeights: Readonly<Record<string, number>>;
  /** Adaptive, normal mode: picks look at in-flight counts (see the selector). */
  readonly pickByLoad: boolean;
  /** Retry-After (s) when no region can serve and no ejection end is known. */
  readonly unavailableRetryAfterS: number;
}

export interface PlannerInput {
  readonly telemetry: TelemetryView;
  readonly sourceStatus: SourceStatus;
  /**
   * When the router started (its first plan). Until staleAfterMs after it, no telemetry
   * yet is how every start begins; after that, the telemetry is late.
   */
  readonly startedAtMs: number;
  readonly settings: PlannerSettings;
  readonly availability: AvailabilityLookup;
  readonly passiveFactor: PassiveFactorLookup;
  /** The router's current load estimate per (model, region), made once per re-plan. */
  readonly load: (model: string, region: string) => RegionLoad;
}

export type EstimateSource = 'last-known' | 'median' | 'none';

export interface RegionPlan {
  readonly region: string;
  readonly share: number;
  readonly fresh: boolean;
  /** Age of the newest report, null when there has never been one. */
  readonly ageMs: number | null;
  /** The newest report's figures, as combined from the sources (telemetry/combine.ts). */
  readonly capacity: number | null;
  readonly inUse: number | null;
  /** Which source the capacity came from, and which one measured inUse (and `at`); null without a report. */
  readonly capacitySource: SourceName | null;
  readonly inUseSource: SourceName | null;
  /** Every source's newest reading for the region, newest first (empty without a report). */
  readonly sources: readonly SourceReading[];
  /** This router's requests in flight there now, and its load when the report was measured. */
  readonly ownInFlight: number;
  readonly ownAtReport: number | null;
  /** The other clients' load (reported inUse minus this router's part), smoothed. */
  readonly othersLoad: number | null;
  /** The room for this router the plan weighed: capacity - othersLoad when fresh, else the estimate. */
  readonly room: number | null;
  /** The current estimate of headroom: room (capped after a 429) minus this router's load now. */
  readonly headroom: number | null;
  /** After a 429: the room is capped at this until capUntilMs. */
  readonly roomCap: number | null;
  readonly capUntilMs: number | null;
  readonly estimate: EstimateSource | null;
  /** Normal mode: the weight was cut to maxWeightRatio x its peers' mean. */
  readonly weightCapped: boolean;
  readonly state: RegionState;
  readonly stateReason: string | null;
  /** When an ejection or cooldown ends (ms since epoch). */
  readonly stateUntilMs: number | null;
  readonly weightFactor: number;
}

export interface Rejection {
  readonly status: 429 | 503;
  readonly code: 'NoCapacity' | 'NoRegionAvailable';
  readonly message: string;
  readonly retryAfterS: number;
}

/**
 * How the data plane picks among the routable regions: by the shares alone, by the
 * shares and the room left at that instant, or each in turn.
 */
export type PickRule = 'weighted' | 'by-load' | 'rotate';

export interface DeploymentPlan {
  readonly name: string;
  readonly model: string;
  readonly type: DeploymentType;
  readonly boundary: readonly string[];
  /** What capacity, inUse, rooms and this router's load are counted in. */
  readonly unit: CapacityUnit;
  readonly mode: RoutingMode;
  readonly reason: string;
  /**
   * Conservative only because the first telemetry has not arrived yet, and staleAfterMs
   * has not passed since the start: a normal start, not an alarm (see modeLogLevel).
   */
  readonly awaitingFirstTelemetry: boolean;
  readonly coverage: number;
  readonly pick: PickRule;
  /**
   * The rooms are estimates from trusted telemetry (the adaptive policy in normal mode),
   * so "no region has room" can be told from them and a request may wait for room.
   */
  readonly roomKnown: boolean;
  /** One per boundary region, in boundary order. */
  readonly regions: readonly RegionPlan[];
  /** The regions with a positive share, and those shares (sum 1), index-aligned. */
  readonly routable: readonly string[];
  readonly shares: readonly number[];
  /** Index-aligned with routable: the room each was weighed with (0 when unknown). */
  readonly rooms: readonly number[];
  /** Set exactly when `routable` is empty. */
  readonly rejection: Rejection | null;
}

// The shape of GET /capacity: what operators, the dashboard, `switchyard capacity` and
// the tests read. One definition, so a field added here is a field the compiler makes
// every producer fill.
import type { EstimateSource, PickRule, RegionState, Rejection, RoutingMode } from '../planner/types.js';
import type { SourceStatus } from '../telemetry/store.js';

export interface CapacityBackend {
  readonly url: string;
  readonly inFlight: number;
  /** Skipped after consecutive connect failures until then (ISO time), else null. */
  readonly ejectedUntil: string | null;
}

export interface CapacityRegion {
  readonly region: string;
  readonly share: number;
  readonly fresh: boolean;
  readonly ageMs: number | null;
  readonly capacity: number | null;
  readonly inUse: number | null;
  readonly ownInFlight: number;
  readonly ownAtReport: number | null;
  readonly othersLoad: number | null;
  readonly room: number | null;
  readonly headroom: number | null;
  readonly roomCap: number | null;
  readonly capUntil: string | null;
  readonly weightCapped: boolean;
  readonly estimate: EstimateSource | null;
  readonly state: RegionState;
  readonly stateReason: string | null;
  readonly stateUntil: string | null;
  readonly weightFactor: number;
  readonly backends: readonly CapacityBackend[];
}

export interface CapacityDeployment {
  readonly name: string;
  readonly model: string;
  readonly type: string;
  readonly boundary: readonly string[];
  readonly mode: RoutingMode;
  readonly reason: string;
  readonly coverage: number;
  readonly pick: PickRule;
  readonly rejection: Rejection | null;
  readonly regions: readonly CapacityRegion[];
}

export interface CapacityTelemetry {
  readonly url: string;
  readonly status: SourceStatus;
  readonly lastSuccessAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly ageMs: number | null;
  readonly lastError: string | null;
  readonly polls: number;
  readonly failures: number;
}

export interface CapacityResilience {
  readonly requestsInFlight: number;
  readonly shedding: { readonly maxInFlight: number; readonly maxInFlightPerBackend: number };
  readonly retryBudget: {
    readonly enabled: boolean;
    readonly retriesInFlight: number;
    readonly limit: number;
    readonly maxAttempts: number;
  };
  readonly cooldowns: ReadonlyArray<{
    readonly model: string;
    readonly region: string;
    readonly until: string | null;
    readonly reason: string;
  }>;
}

export interface CapacityDocument {
  readonly generatedAt: string;
  readonly plannedAt: string;
  readonly telemetry: CapacityTelemetry;
  readonly resilience: CapacityResilience;
  readonly deployments: readonly CapacityDeployment[];
}

/** Every field optional, all the way down: a document from a router of another version. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly DeepPartial<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

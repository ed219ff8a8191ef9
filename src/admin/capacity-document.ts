// The shape of GET /capacity: what operators, the dashboard, `switchyard capacity` and
// the tests read. One definition, so a field added here is a field the compiler makes
// every producer fill.
import type { CapacityUnit } from '../config/types.js';
import type { EstimateSource, PickRule, RegionState, Rejection, RoutingMode } from '../planner/types.js';
import type { QuotaView } from '../resilience/quota-windows.js';
import type { SourceName } from '../telemetry/combine.js';
import type { SourceStatus } from '../telemetry/store.js';

export interface CapacityBackend {
  readonly url: string;
  readonly inFlight: number;
  /** Skipped after consecutive connect failures until then (ISO time), else null. */
  readonly ejectedUntil: string | null;
}

/** One source's newest reading for a region, as it stood when the document was made. */
export interface CapacityRegionSource {
  readonly source: SourceName;
  readonly ageMs: number;
  /** Within telemetry.staleAfterMs. */
  readonly fresh: boolean;
  /** This source's capacity; null when it gives none (ORCA, a rate limit without its limit). */
  readonly capacity: number | null;
  /** This source's absolute in-use figure; null for the in-band source, which measures a fraction. */
  readonly inUse: number | null;
  /** The in-band source's fraction of the capacity in use; null for the others. */
  readonly utilisation: number | null;
}

/** Tokens the answers reported (usage) since the router started. */
export interface CapacityTokens {
  readonly input: number;
  readonly output: number;
  /** The part of input the service served from its prompt cache. */
  readonly cached: number;
  /** Answers that reported usage. */
  readonly answers: number;
}

export interface CapacityRegion {
  readonly region: string;
  readonly share: number;
  readonly fresh: boolean;
  readonly ageMs: number | null;
  /** The combined figures (docs/telemetry.md, "Combining the sources"). */
  readonly capacity: number | null;
  readonly inUse: number | null;
  /** The source whose capacity the estimate used, and the one whose measurement gave inUse and ageMs. */
  readonly capacitySource: SourceName | null;
  readonly inUseSource: SourceName | null;
  /** Every source standing behind the estimate: each one's newest reading, newest first. */
  readonly sources: readonly CapacityRegionSource[];
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
  /** Tokens the answers relayed from this region reported. */
  readonly tokens: CapacityTokens;
}

/** One priority's requests waiting for room. */
export interface CapacityQueueBand {
  readonly priority: number;
  readonly waiting: number;
  /** Fairness keys with requests waiting (the keys themselves are not shown: they may be credentials). */
  readonly keys: number;
  readonly oldestWaitMs: number;
}

/** A deployment's admission: its settings, and the requests waiting for room now. */
export interface CapacityAdmission {
  readonly maxWaitMs: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
  readonly defaultPriority: number;
  readonly waiting: number;
  readonly waitingBytes: number;
  readonly oldestWaitMs: number;
  /** Requests of the deployment finishing per second, averaged (what a Retry-After is estimated from). */
  readonly finishedPerSecond: number;
  /** By priority, most important first; only priorities with requests waiting. */
  readonly byPriority: readonly CapacityQueueBand[];
}

export interface CapacityDeployment {
  readonly name: string;
  readonly model: string;
  readonly type: string;
  readonly boundary: readonly string[];
  /** What its regions' capacity, inUse, room and headroom are counted in. */
  readonly capacityUnit: CapacityUnit;
  readonly mode: RoutingMode;
  readonly reason: string;
  readonly coverage: number;
  readonly pick: PickRule;
  readonly rejection: Rejection | null;
  readonly admission: CapacityAdmission;
  /** The regions' tokens added up. */
  readonly tokens: CapacityTokens;
  readonly regions: readonly CapacityRegion[];
}

/** One configured source: a polled one (json, prometheus) or the in-band load headers. */
export interface CapacitySource {
  readonly source: SourceName;
  /** Where it is polled (userinfo and query values redacted); null for in-band. */
  readonly url: string | null;
  readonly status: SourceStatus;
  /** Polled: the last successful poll; in-band: the newest reading. */
  readonly lastSuccessAt: string | null;
  readonly ageMs: number | null;
  readonly lastError: string | null;
  /** Polled sources: polls and failed polls; null for in-band. */
  readonly polls: number | null;
  readonly failures: number | null;
  /** In-band: readings taken in so far; null for polled sources. */
  readonly readings: number | null;
}

/** All sources together (status stale: none delivered within staleAfterMs), then each one. */
export interface CapacityTelemetry {
  /** The JSON report's URL (userinfo and query values redacted); null when there is none. */
  readonly url: string | null;
  readonly status: SourceStatus;
  readonly lastSuccessAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly ageMs: number | null;
  readonly lastError: string | null;
  readonly polls: number;
  readonly failures: number;
  readonly sources: readonly CapacitySource[];
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
  /** Quota windows per model and region: the limits known, what is left, and a rest while one is spent. */
  readonly quotas: readonly CapacityQuota[];
}

/** A quota window as the books keep it (QuotaView), its times as ISO-8601. */
export type CapacityQuota = Omit<QuotaView, 'observedAtMs' | 'windowEndsAtMs' | 'restingUntilMs'> & {
  readonly observedAt: string | null;
  readonly windowEndsAt: string | null;
  readonly restingUntil: string | null;
};

/** Requests bound to stored state: what this router knows of where objects live. */
export interface CapacityAffinity {
  readonly enabled: boolean;
  /** Object ids whose home region the router remembers, and at most how many. */
  readonly cacheEntries: number;
  readonly cacheLimit: number;
  /** Lookups of a home in the cache since the start, and the fraction that found one (null before any). */
  readonly hits: number;
  readonly misses: number;
  readonly hitRate: number | null;
}

export interface CapacityDocument {
  readonly generatedAt: string;
  readonly plannedAt: string;
  readonly telemetry: CapacityTelemetry;
  readonly resilience: CapacityResilience;
  readonly affinity: CapacityAffinity;
  readonly deployments: readonly CapacityDeployment[];
}

/** Every field optional, all the way down: a document from a router of another version. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly DeepPartial<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

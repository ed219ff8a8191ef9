// The /capacity document: the current plans as the data plane uses them, plus what an
// operator needs to understand them (telemetry source state, backends, why a region
// is out).
import { redactUrl } from '../net/redact-url.js';
import type { DeploymentRuntime } from '../proxy/deployment-runtime.js';
import type { RegionUpstream } from '../proxy/upstream.js';
import type { PolledSourceName, SourceName, SourceReading } from '../telemetry/combine.js';
import { sourceStatusOf, type SourceStatus, type TelemetryStore } from '../telemetry/store.js';
import type { Resilience } from '../resilience/resilience.js';
import type { Config } from '../config/types.js';
import type { TokenCounts } from '../metrics/token-series.js';
import type {
  CapacityAdmission,
  CapacityDocument,
  CapacityRegionSource,
  CapacitySource,
  CapacityTokens,
} from './capacity-document.js';

export interface CapacityViewInput {
  readonly nowMs: number;
  readonly plannedAtMs: number;
  /** The polled sources' URLs as shown (userinfo and query values redacted); null when not configured. */
  readonly sourceUrls: Readonly<Record<PolledSourceName, string | null>>;
  /** All sources together, and each one, as of the last re-plan. */
  readonly sourceStatus: SourceStatus;
  readonly sourceStatuses: ReadonlyMap<SourceName, SourceStatus>;
  readonly store: TelemetryStore;
  readonly deployments: Iterable<DeploymentRuntime>;
  readonly upstreams: ReadonlyMap<string, RegionUpstream>;
  readonly resilience: Resilience;
  readonly requestsInFlight: number;
  readonly config: Config;
  /** The home cache's figures (proxy/affinity/home-cache.ts). */
  readonly homes: { readonly size: number; readonly limit: number; readonly hits: number; readonly misses: number };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function sourcesOf(input: CapacityViewInput): CapacitySource[] {
  const { store, nowMs } = input;
  const staleAfterMs = input.config.telemetry.staleAfterMs;
  const out: CapacitySource[] = store.polled.map((name) => {
    const s = store.stateOf(name);
    return {
      source: name,
      url: input.sourceUrls[name],
      status: input.sourceStatuses.get(name) ?? sourceStatusOf(s, nowMs, staleAfterMs),
      lastSuccessAt: iso(s.lastSuccessAtMs),
      ageMs: s.lastSuccessAtMs === null ? null : nowMs - s.lastSuccessAtMs,
      lastError: s.lastError,
      polls: s.polls,
      failures: s.failures,
      readings: null,
    };
  });
  const inBand = store.inBand;
  if (inBand !== null) {
    out.push({
      source: 'in-band',
      url: null,
      status: input.sourceStatuses.get('in-band') ?? 'stale',
      lastSuccessAt: iso(inBand.lastAtMs),
      ageMs: inBand.lastAtMs === null ? null : nowMs - inBand.lastAtMs,
      lastError: null,
      polls: null,
      failures: null,
      readings: inBand.readings,
    });
  }
  return out;
}

function regionSources(
  readings: readonly SourceReading[],
  nowMs: number,
  staleAfterMs: number,
): CapacityRegionSource[] {
  return readings.map((r) => {
    const ageMs = Math.max(0, nowMs - r.atMs);
    return {
      source: r.source,
      ageMs,
      fresh: ageMs <= staleAfterMs,
      capacity: r.capacity,
      inUse: r.inUse,
      utilisation: r.utilisation,
    };
  });
}

export function renderCapacity(input: CapacityViewInput): CapacityDocument {
  const source = input.store.source;
  return {
    generatedAt: new Date(input.nowMs).toISOString(),
    plannedAt: new Date(input.plannedAtMs).toISOString(),
    telemetry: {
      url: input.sourceUrls.json,
      status: input.sourceStatus,
      lastSuccessAt: iso(source.lastSuccessAtMs),
      lastAttemptAt: iso(source.lastAttemptAtMs),
      ageMs: source.lastSuccessAtMs === null ? null : input.nowMs - source.lastSuccessAtMs,
      lastError: source.lastError,
      polls: source.polls,
      failures: source.failures,
      sources: sourcesOf(input),
    },
    resilience: {
      requestsInFlight: input.requestsInFlight,
      shedding: {
        maxInFlight: input.config.shedding.maxInFlight,
        maxInFlightPerBackend: input.config.shedding.maxInFlightPerBackend,
      },
      retryBudget: {
        enabled: input.config.retry.enabled,
        retriesInFlight: input.resilience.budget.inFlight,
        limit: input.resilience.budget.limit(input.requestsInFlight),
        maxAttempts: input.config.retry.maxAttempts,
      },
      cooldowns: input.resilience.cooldowns
        .all(input.nowMs)
        .map((c) => ({ model: c.model, region: c.region, until: iso(c.untilMs), reason: c.reason })),
      quotas: input.resilience.quota
        .views(input.nowMs)
        .map(({ observedAtMs, windowEndsAtMs, restingUntilMs, ...q }) => ({
          ...q,
          observedAt: iso(observedAtMs),
          windowEndsAt: iso(windowEndsAtMs),
          restingUntil: iso(restingUntilMs),
        })),
    },
    affinity: {
      enabled: input.config.affinity.enabled,
      cacheEntries: input.homes.size,
      cacheLimit: input.homes.limit,
      hits: input.homes.hits,
      misses: input.homes.misses,
      hitRate:
        input.homes.hits + input.homes.misses === 0 ? null : input.homes.hits / (input.homes.hits + input.homes.misses),
    },
    deployments: [...input.deployments].map((d) => {
      const plan = d.route?.plan;
      return {
        name: d.name,
        model: d.topology.model,
        type: d.topology.type,
        boundary: d.topology.boundary,
        capacityUnit: d.topology.capacityUnit,
        mode: plan?.mode ?? 'conservative',
        reason: plan?.reason ?? 'no plan yet',
        coverage: plan?.coverage ?? 0,
        pick: plan?.pick ?? 'weighted',
        rejection: plan?.rejection ?? null,
        admission: admissionOf(d, input.nowMs),
        tokens: tokensOf(d.topology.servable.map((r) => d.statsFor(r).tokens)),
        regions: (plan?.regions ?? []).map((r) => ({
          region: r.region,
          share: r.share,
          fresh: r.fresh,
          ageMs: r.ageMs,
          capacity: r.capacity,
          inUse: r.inUse,
          capacitySource: r.capacitySource,
          inUseSource: r.inUseSource,
          sources: regionSources(r.sources, input.nowMs, input.config.telemetry.staleAfterMs),
          ownInFlight: r.ownInFlight,
          ownAtReport: r.ownAtReport,
          othersLoad: r.othersLoad,
          room: r.room,
          headroom: r.headroom,
          roomCap: r.roomCap,
          capUntil: iso(r.capUntilMs),
          weightCapped: r.weightCapped,
          estimate: r.estimate,
          state: r.state,
          stateReason: r.stateReason,
          stateUntil: iso(r.stateUntilMs),
          weightFactor: r.weightFactor,
          backends: (input.upstreams.get(r.region)?.backends ?? []).map((b) => ({
            url: redactUrl(b.url),
            inFlight: b.inFlight,
            ejectedUntil: b.ejectedUntilMs > input.nowMs ? iso(b.ejectedUntilMs) : null,
          })),
          tokens: tokensOf([d.statsFor(r.region).tokens]),
        })),
      };
    }),
  };
}

/** Token counts added up. */
function tokensOf(counts: readonly TokenCounts[]): CapacityTokens {
  let input = 0;
  let output = 0;
  let cached = 0;
  let answers = 0;
  for (const c of counts) {
    input += c.input;
    output += c.output;
    cached += c.cached;
    answers += c.answers;
  }
  return { input, output, cached, answers };
}

/** A deployment's admission settings and queue, as they stand. */
function admissionOf(d: DeploymentRuntime, nowMs: number): CapacityAdmission {
  const { settings, queue, rate } = d.admission;
  rate.tick(nowMs);
  const byPriority = queue.stats(nowMs);
  return {
    maxWaitMs: settings.maxWaitMs,
    maxQueued: settings.maxQueued,
    maxQueuedBytes: settings.maxQueuedBytes,
    defaultPriority: settings.defaultPriority,
    waiting: queue.size,
    waitingBytes: queue.bytes,
    oldestWaitMs: byPriority.reduce((oldest, b) => Math.max(oldest, b.oldestWaitMs), 0),
    finishedPerSecond: Math.round(rate.perSecond * 100) / 100,
    byPriority,
  };
}

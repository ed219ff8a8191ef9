// A router generation: everything one config implies, built by one function
// (buildGeneration) at start-up and again for every reload, and swapped in whole by
// one assignment. A generation is never changed after it is built.
//
// What outlives a swap is named in two places:
// - RouterLifetime: what the router makes once and every generation shares (metrics,
//   the telemetry it has learnt, its own load counts, resilience's outlier history,
//   cooldowns, slow starts and retry budget, the clock and the randomness);
// - what a new generation takes over from the one before (see buildGeneration): the
//   pool of a backend whose pool would be built the same (its connections, and the
//   requests in flight on them), the runtime of a deployment that remains (requests in
//   flight retry on its next route), and the in-band slots while in-band telemetry
//   stays on.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AdmissionGate } from '../proxy/admission-gate.js';
import type { DataPlaneOptions } from '../proxy/data-plane.js';
import { admissionSettings } from '../proxy/deployment-admission.js';
import type { HomeCache } from '../proxy/affinity/home-cache.js';
import { StoredRouting } from '../proxy/affinity/stored-routing.js';
import type { GenAiTelemetry } from '../otel/gen-ai-telemetry.js';
import { DeploymentRuntime } from '../proxy/deployment-runtime.js';
import { ModelCatalog } from '../proxy/model-catalog.js';
import { Backend, RegionUpstream } from '../proxy/upstream.js';
import type { Resilience } from '../resilience/resilience.js';
import { InBandLoad } from '../telemetry/in-band/in-band-load.js';
import type { OwnLoad } from '../telemetry/own-load.js';
import { buildTopology, type DeploymentTopology, type Topology, unitsByModel } from '../topology/topology.js';
import { poolKey } from './reload-diff.js';

/** What the router makes once, for its whole life; every generation uses it. */
export interface RouterLifetime {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly ownLoad: OwnLoad;
  readonly resilience: Resilience;
  readonly now: () => number;
  readonly random: () => number;
  readonly isDraining: () => boolean;
  /** Where requests wait for room: the queues live in the deployments' runtimes, kept across reloads. */
  readonly gate: AdmissionGate;
  /** Where stored objects live, as learned so far: kept across reloads (an id never moves). */
  readonly homes: HomeCache;
  /** OpenTelemetry export, made from the environment at start-up; null when off. */
  readonly otel: GenAiTelemetry | null;
}

export interface Generation {
  readonly config: Config;
  readonly topology: Topology;
  readonly upstreams: ReadonlyMap<string, RegionUpstream>;
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  /** The in-band source's slots; null when telemetry.inBand is off. */
  readonly inBand: InBandLoad | null;
  readonly dataPlane: DataPlaneOptions;
}

/** A new generation, and what the previous one had that it has not. */
export interface GenerationChange {
  readonly generation: Generation;
  /** Backends to retire: their pools close once their last requests end. */
  readonly removedBackends: readonly Backend[];
  /** Deployments gone: their route is cleared, so a request in flight is not retried. */
  readonly removedDeployments: readonly DeploymentRuntime[];
}

/**
 * Builds the generation `config` implies. With `previous`, it takes over what must
 * outlive the swap (see the top of this file); runtimes it keeps are pointed at their
 * new boundary and upstreams here, so the caller re-plans before anything else runs.
 */
export function buildGeneration(
  config: Config,
  lifetime: RouterLifetime,
  previous: Generation | null,
): GenerationChange {
  const topology = buildTopology(config);
  // Answers' load headers keep feeding the same slots unless the source was switched.
  const inBand = !config.telemetry.inBand
    ? null
    : previous !== null && previous.inBand !== null
      ? previous.inBand
      : new InBandLoad();
  const { upstreams, removedBackends } = buildUpstreams(config, topology, previous);
  lifetime.ownLoad.configure(unitsByModel(topology), config.routing.loadPerRequest);
  const deployments = new Map<string, DeploymentRuntime>();
  const own = new Map(config.deployments.map((d) => [d.name, d.admission]));
  for (const d of topology.deployments) {
    const runtime = previous?.deployments.get(d.name);
    const admission = admissionSettings(config.admission, own.get(d.name) ?? null);
    if (runtime === undefined) {
      deployments.set(
        d.name,
        new DeploymentRuntime(
          d,
          lifetime.metrics,
          upstreams,
          lifetime.ownLoad,
          inBand,
          admission,
          lifetime.gate.withdrawn,
        ),
      );
    } else {
      runtime.reconfigure(d, upstreams, lifetime.ownLoad, inBand, admission);
      deployments.set(d.name, runtime);
    }
    (deployments.get(d.name) as DeploymentRuntime).estimatesTokens = estimatesTokens(config, d);
  }
  const removedDeployments =
    previous === null ? [] : [...previous.deployments.values()].filter((d) => !deployments.has(d.name));
  for (const d of removedDeployments) d.route = null;
  const generation: Generation = {
    config,
    topology,
    upstreams,
    deployments,
    inBand,
    dataPlane: dataPlaneOptions(config, deployments, upstreams, lifetime),
  };
  return { generation: Object.freeze(generation), removedBackends, removedDeployments };
}

/** One upstream per region; a backend whose pool would be the same keeps its pool. */
function buildUpstreams(
  config: Config,
  topology: Topology,
  previous: Generation | null,
): { upstreams: Map<string, RegionUpstream>; removedBackends: Backend[] } {
  const kept = new Map<string, Backend>();
  if (previous !== null) {
    for (const upstream of previous.upstreams.values()) {
      for (const b of upstream.backends) kept.set(poolKey(b.config, previous.config.upstream), b);
    }
  }
  const upstreams = new Map<string, RegionUpstream>();
  for (const [region, backends] of topology.backendsByRegion) {
    const list = backends.map((b) => {
      const key = poolKey(b, config.upstream);
      const old = kept.get(key);
      if (old === undefined) return new Backend(b, config.upstream);
      kept.delete(key);
      old.reconfigure(b);
      return old;
    });
    upstreams.set(region, new RegionUpstream(region, list));
  }
  return { upstreams, removedBackends: [...kept.values()] };
}

function dataPlaneOptions(
  config: Config,
  deployments: ReadonlyMap<string, DeploymentRuntime>,
  upstreams: ReadonlyMap<string, RegionUpstream>,
  lifetime: RouterLifetime,
): DataPlaneOptions {
  const { resilience } = lifetime;
  lifetime.homes.resize(config.affinity.cacheSize);
  return {
    deployments,
    catalog: new ModelCatalog(
      config.deployments.map((d) => d.name),
      Math.floor(lifetime.now() / 1000),
    ),
    maxBodyBytes: config.limits.maxBodyBytes,
    tokens: config.tokens,
    requestBodyTimeoutMs: config.limits.requestBodyTimeoutMs,
    clientReadTimeoutMs: config.limits.clientReadTimeoutMs,
    env: {
      metrics: lifetime.metrics,
      logger: lifetime.logger,
      random: lifetime.random,
      now: lifetime.now,
      onOutcome: resilience.onOutcome,
      suspect400: resilience.suspect400,
      onDispatch: config.quota.enabled ? resilience.onDispatch : null,
      onRefused: config.quota.enabled ? resilience.onRefused : null,
      quotaFits:
        config.quota.enabled && config.quota.limits.some((l) => l.tokensPerMinute > 0) ? resilience.quotaFits : null,
      retry: { enabled: config.retry.enabled, maxAttempts: config.retry.maxAttempts, budget: resilience.budget },
      maxInFlightPerBackend: config.shedding.maxInFlightPerBackend,
      shedRetryAfterS: config.shedding.retryAfterS,
      accessLog: config.log.requests,
      otel: lifetime.otel,
    },
    gate: lifetime.gate,
    classes: {
      objectives: new Map(Object.entries(config.admission.objectives)),
      fairnessHeader: config.admission.fairnessHeader.toLowerCase(),
    },
    maxInFlight: config.shedding.maxInFlight,
    isDraining: lifetime.isDraining,
    askLoadMetrics: config.telemetry.inBand,
    defaultDeployment: config.affinity.defaultDeployment,
    affinity: config.affinity.enabled
      ? new StoredRouting(lifetime.homes, lifetime.metrics, lifetime.now, {
          deployments,
          upstreams,
          config: config.affinity,
        })
      : null,
  };
}

/** A deployment whose requests' tokens are estimated: counted in tokens, or under a configured tokens-per-minute quota. */
function estimatesTokens(config: Config, d: DeploymentTopology): boolean {
  if (d.capacityUnit !== 'requests') return true;
  return config.quota.enabled && config.quota.limits.some((l) => l.model === d.model && l.tokensPerMinute > 0);
}

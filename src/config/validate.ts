// Turns a parsed YAML/JSON document into a Config with every default filled in, or
// into the complete list of what is wrong with it.

import {
  DEFAULT_ADMIN,
  DEFAULT_CONSERVATIVE,
  DEFAULT_COOLDOWN,
  DEFAULT_OUTLIER,
  DEFAULT_RETRY,
  DEFAULT_ROUTING,
  DEFAULT_SHEDDING,
  DEFAULT_SLOW_START,
  DEFAULT_LIMITS,
  DEFAULT_LISTEN,
  DEFAULT_LOG,
  DEFAULT_SHUTDOWN,
  DEFAULT_TELEMETRY,
  DEFAULT_UPSTREAM,
} from './defaults.js';
import type {
  AdminConfig,
  Config,
  ConservativeConfig,
  CooldownConfig,
  LimitsConfig,
  OutlierConfig,
  RetryConfig,
  RoutingConfig,
  RoutingPolicy,
  SheddingConfig,
  SlowStartConfig,
  ListenConfig,
  LogConfig,
  LogLevel,
  ShutdownConfig,
  TelemetryConfig,
  UpstreamConfig,
} from './types.js';
import {
  type Check,
  type Mapping,
  type Schema,
  type Section,
  Problems,
  ROOT,
  boolean,
  describe,
  httpUrl,
  isRecord,
  integerIn,
  nonEmptyText,
  numberIn,
  oneOf,
  readMapping,
  readSection,
} from './validate-fields.js';
import { readBackends, readDeployments, readZones } from './validate-topology.js';
import { bearerToken, type Environment } from './env-text.js';
import { checkRenamedDeployments } from './validate-backend-settings.js';
import {
  SOURCES_EXPECTED,
  checkTelemetrySources,
  prometheusPlaceholder,
  readPrometheus,
} from './validate-telemetry-sources.js';

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

// Node's timers fire almost at once for longer delays, which would turn a long timeout
// into an immediate one.
const MAX_TIMER_MS = 2_147_483_647;

const durationMs = integerIn(1, MAX_TIMER_MS, `a positive integer number of milliseconds, at most ${MAX_TIMER_MS}`);
const port = integerIn(0, 65_535, 'an integer from 0 to 65535; 0 means any free port');
const host = nonEmptyText('a non-empty host name or IP address');

const LOG_LEVELS: Readonly<Record<LogLevel, true>> = {
  fatal: true,
  error: true,
  warn: true,
  info: true,
  debug: true,
  trace: true,
  silent: true,
};

function listenSchema(defaults: ListenConfig): Schema<ListenConfig> {
  return { host: { check: host, fallback: defaults.host }, port: { check: port, fallback: defaults.port } };
}

function adminSchema(env: Environment): Schema<AdminConfig> {
  return {
    ...listenSchema(DEFAULT_ADMIN),
    token: { check: bearerToken(env, 'admin.token'), fallback: DEFAULT_ADMIN.token },
  };
}

const TELEMETRY: Schema<TelemetryConfig> = {
  url: { check: httpUrl, fallback: null },
  prometheus: { check: prometheusPlaceholder, fallback: null },
  inBand: { check: boolean, fallback: DEFAULT_TELEMETRY.inBand },
  intervalMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.intervalMs },
  timeoutMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.timeoutMs },
  staleAfterMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.staleAfterMs },
  minCoverage: { check: numberIn(0, 1, 'a number from 0 to 1'), fallback: DEFAULT_TELEMETRY.minCoverage },
  estimateMaxAgeMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.estimateMaxAgeMs },
  maxBodyBytes: {
    check: integerIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer number of bytes'),
    fallback: DEFAULT_TELEMETRY.maxBodyBytes,
  },
};

const CONSERVATIVE: Schema<ConservativeConfig> = {
  maxShareFactor: {
    check: numberIn(1, Number.MAX_VALUE, 'a number >= 1'),
    fallback: DEFAULT_CONSERVATIVE.maxShareFactor,
  },
  passiveCapacity: { check: boolean, fallback: DEFAULT_CONSERVATIVE.passiveCapacity },
};

const fraction = numberIn(0, 1, 'a number from 0 to 1');
const count = (min: number): ReturnType<typeof integerIn> =>
  integerIn(min, Number.MAX_SAFE_INTEGER, `an integer >= ${min}`);
const unboundedCount = integerIn(0, Number.MAX_SAFE_INTEGER, 'an integer >= 0; 0 means unbounded');
const percent = numberIn(0, 100, 'a percentage from 0 to 100');

const OUTLIER: Schema<OutlierConfig> = {
  enabled: { check: boolean, fallback: DEFAULT_OUTLIER.enabled },
  windowMs: { check: durationMs, fallback: DEFAULT_OUTLIER.windowMs },
  minRequests: { check: count(1), fallback: DEFAULT_OUTLIER.minRequests },
  consecutiveFailures: { check: count(1), fallback: DEFAULT_OUTLIER.consecutiveFailures },
  failureRate: { check: fraction, fallback: DEFAULT_OUTLIER.failureRate },
  status400: { check: boolean, fallback: DEFAULT_OUTLIER.status400 },
  status400MinRate: { check: fraction, fallback: DEFAULT_OUTLIER.status400MinRate },
  status400MinExcess: { check: fraction, fallback: DEFAULT_OUTLIER.status400MinExcess },
  baseEjectionMs: { check: durationMs, fallback: DEFAULT_OUTLIER.baseEjectionMs },
  maxEjectionMs: { check: durationMs, fallback: DEFAULT_OUTLIER.maxEjectionMs },
  maxEjectionPercent: { check: percent, fallback: DEFAULT_OUTLIER.maxEjectionPercent },
};

const RETRY: Schema<RetryConfig> = {
  enabled: { check: boolean, fallback: DEFAULT_RETRY.enabled },
  maxAttempts: {
    check: integerIn(1, 10, 'an integer from 1 to 10 (attempts per request, the first included)'),
    fallback: DEFAULT_RETRY.maxAttempts,
  },
  budgetPercent: { check: percent, fallback: DEFAULT_RETRY.budgetPercent },
  minConcurrent: { check: count(0), fallback: DEFAULT_RETRY.minConcurrent },
  backoffBaseMs: {
    check: integerIn(0, MAX_TIMER_MS, 'an integer number of milliseconds >= 0'),
    fallback: DEFAULT_RETRY.backoffBaseMs,
  },
  backoffMaxMs: {
    check: integerIn(0, MAX_TIMER_MS, 'an integer number of milliseconds >= 0'),
    fallback: DEFAULT_RETRY.backoffMaxMs,
  },
};

const COOLDOWN: Schema<CooldownConfig> = {
  enabled: { check: boolean, fallback: DEFAULT_COOLDOWN.enabled },
  maxMs: { check: durationMs, fallback: DEFAULT_COOLDOWN.maxMs },
  minRetryAfterMs: { check: durationMs, fallback: DEFAULT_COOLDOWN.minRetryAfterMs },
  min429Rate: { check: fraction, fallback: DEFAULT_COOLDOWN.min429Rate },
};

const POLICIES: Readonly<Record<RoutingPolicy, true>> = {
  adaptive: true,
  static: true,
  'round-robin': true,
  'reported-headroom': true,
};

/** region -> positive weight; the regions are checked against the backends afterwards. */
const weightMap: Check<Readonly<Record<string, number>>> = {
  expected: 'a mapping of region to a positive number, e.g. { eastus2: 60, centralus: 40 }',
  parse: (value) => {
    if (!isRecord(value)) return { wrong: `got ${describe(value)}` };
    for (const [region, w] of Object.entries(value)) {
      if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
        return { wrong: `weight of ${region} is ${describe(w)}`, right: 'a positive number' };
      }
    }
    return { value: { ...value } as Record<string, number> };
  },
};

const ROUTING: Schema<RoutingConfig> = {
  policy: { check: oneOf(POLICIES, 'routing policy'), fallback: DEFAULT_ROUTING.policy },
  loadPerRequest: {
    check: numberIn(0, Number.MAX_VALUE, 'a number >= 0; 0 turns the own-load correction off'),
    fallback: DEFAULT_ROUTING.loadPerRequest,
  },
  smoothingMs: {
    check: integerIn(0, MAX_TIMER_MS, 'an integer number of milliseconds >= 0; 0 means no smoothing'),
    fallback: DEFAULT_ROUTING.smoothingMs,
  },
  pickByLoad: { check: boolean, fallback: DEFAULT_ROUTING.pickByLoad },
  staticWeights: { check: weightMap, fallback: DEFAULT_ROUTING.staticWeights },
};

const SHEDDING: Schema<SheddingConfig> = {
  maxInFlight: { check: unboundedCount, fallback: DEFAULT_SHEDDING.maxInFlight },
  maxInFlightPerBackend: { check: unboundedCount, fallback: DEFAULT_SHEDDING.maxInFlightPerBackend },
  retryAfterS: {
    check: integerIn(1, 86_400, 'an integer number of seconds from 1 to 86400'),
    fallback: DEFAULT_SHEDDING.retryAfterS,
  },
};

const SLOW_START: Schema<SlowStartConfig> = {
  enabled: { check: boolean, fallback: DEFAULT_SLOW_START.enabled },
  windowMs: { check: durationMs, fallback: DEFAULT_SLOW_START.windowMs },
  minWeightPercent: {
    check: numberIn(1, 100, 'a percentage from 1 to 100'),
    fallback: DEFAULT_SLOW_START.minWeightPercent,
  },
  aggression: { check: numberIn(0.1, 10, 'a number from 0.1 to 10'), fallback: DEFAULT_SLOW_START.aggression },
};

const LIMITS: Schema<LimitsConfig> = {
  maxBodyBytes: {
    check: integerIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer number of bytes'),
    fallback: DEFAULT_LIMITS.maxBodyBytes,
  },
  requestBodyTimeoutMs: { check: durationMs, fallback: DEFAULT_LIMITS.requestBodyTimeoutMs },
  clientReadTimeoutMs: { check: durationMs, fallback: DEFAULT_LIMITS.clientReadTimeoutMs },
};

const UPSTREAM: Schema<UpstreamConfig> = {
  connectTimeoutMs: { check: durationMs, fallback: DEFAULT_UPSTREAM.connectTimeoutMs },
  headersTimeoutMs: { check: durationMs, fallback: DEFAULT_UPSTREAM.headersTimeoutMs },
  bodyTimeoutMs: { check: durationMs, fallback: DEFAULT_UPSTREAM.bodyTimeoutMs },
  keepAliveTimeoutMs: { check: durationMs, fallback: DEFAULT_UPSTREAM.keepAliveTimeoutMs },
  maxConnectionsPerBackend: {
    check: integerIn(0, Number.MAX_SAFE_INTEGER, 'an integer >= 0; 0 means unbounded'),
    fallback: DEFAULT_UPSTREAM.maxConnectionsPerBackend,
  },
};

const SHUTDOWN: Schema<ShutdownConfig> = { drainMs: { check: durationMs, fallback: DEFAULT_SHUTDOWN.drainMs } };

const LOG: Schema<LogConfig> = {
  level: { check: oneOf(LOG_LEVELS, 'log level'), fallback: DEFAULT_LOG.level },
  requests: { check: boolean, fallback: DEFAULT_LOG.requests },
};

// A record rather than a list so that the compiler notices a key added to Config.
const ROOT_KEYS: Readonly<Record<keyof Config, true>> = {
  listen: true,
  admin: true,
  zones: true,
  backends: true,
  deployments: true,
  telemetry: true,
  conservative: true,
  limits: true,
  upstream: true,
  shutdown: true,
  log: true,
  outlier: true,
  retry: true,
  cooldown: true,
  routing: true,
  shedding: true,
  slowStart: true,
};

/**
 * env: where "${NAME}" in secret-bearing keys (admin.token, backend headers) is looked
 * up. baseDir: where a relative file path (a backend's tls.caFile) starts; the config
 * file's folder when loaded from a file.
 */
export function validateConfig(
  raw: unknown,
  env: Environment = process.env,
  baseDir: string = process.cwd(),
): ConfigResult {
  const problems = new Problems();
  const root = readMapping(problems, ROOT, raw, Object.keys(ROOT_KEYS));
  const config = root === undefined ? undefined : readConfig(problems, root, env, baseDir);
  if (problems.messages.length > 0) return { ok: false, errors: problems.messages };
  if (config === undefined) throw new Error('config rejected without a recorded problem');
  return { ok: true, config: deepFreeze(config) };
}

function readConfig(problems: Problems, root: Mapping, env: Environment, baseDir: string): Config | undefined {
  const listen = readSection(problems, root, 'listen', listenSchema(DEFAULT_LISTEN));
  const admin = readSection(problems, root, 'admin', adminSchema(env));
  if (listen !== undefined && admin !== undefined) checkListenersDiffer(problems, listen, admin);
  const zones = readZones(problems, root);
  const backends = readBackends(problems, root, zones, { env, baseDir });
  const deployments = readDeployments(problems, root, { zones, backends });
  if (backends !== undefined) {
    checkRenamedDeployments(
      problems,
      backends.list.map((b, i) => ({ path: backends.paths[i] as string, deploymentNames: b.deploymentNames })),
      deploymentNamesIn(root),
    );
  }
  const telemetry = readTelemetry(problems, root);
  return complete<Config>({
    listen: listen?.whole,
    admin: admin?.whole,
    zones: zones && Object.fromEntries(zones.regionsOf),
    backends: backends?.list,
    deployments,
    telemetry,
    conservative: readSection(problems, root, 'conservative', CONSERVATIVE)?.whole,
    limits: readSection(problems, root, 'limits', LIMITS)?.whole,
    upstream: readSection(problems, root, 'upstream', UPSTREAM)?.whole,
    shutdown: readSection(problems, root, 'shutdown', SHUTDOWN)?.whole,
    log: readSection(problems, root, 'log', LOG)?.whole,
    outlier: readBounded(problems, root, 'outlier', OUTLIER, 'baseEjectionMs', 'maxEjectionMs'),
    retry: readBounded(problems, root, 'retry', RETRY, 'backoffBaseMs', 'backoffMaxMs'),
    cooldown: readSection(problems, root, 'cooldown', COOLDOWN)?.whole,
    routing: readRouting(
      problems,
      root,
      backends?.list.map((b) => b.region),
    ),
    shedding: readSection(problems, root, 'shedding', SHEDDING)?.whole,
    slowStart: readSection(problems, root, 'slowStart', SLOW_START)?.whole,
  });
}

function readRouting(problems: Problems, root: Mapping, regions: string[] | undefined): RoutingConfig | undefined {
  const section = readSection(problems, root, 'routing', ROUTING);
  const weights = section?.values.staticWeights;
  if (weights === undefined || regions === undefined) return section?.whole;
  const known = new Set(regions);
  let ok = true;
  for (const region of Object.keys(weights)) {
    if (known.has(region)) continue;
    problems.add(
      `routing.staticWeights.${region}`,
      'not a region with a backend',
      `known: ${[...known].sort().join(', ')}`,
    );
    ok = false;
  }
  return ok ? section?.whole : undefined;
}

/** A section where one duration bounds another from above (a base and its maximum). */
function readBounded<T extends object>(
  problems: Problems,
  root: Mapping,
  key: string,
  schema: Schema<T>,
  low: keyof T & string,
  high: keyof T & string,
): T | undefined {
  const section = readSection(problems, root, key, schema);
  const lowValue = section?.values[low];
  const highValue = section?.values[high];
  if (typeof lowValue === 'number' && typeof highValue === 'number' && highValue < lowValue) {
    problems.add(`${key}.${high}`, `${highValue} is shorter than ${key}.${low} ${lowValue}`, `at least ${lowValue}`);
    return undefined;
  }
  return section?.whole;
}

function checkListenersDiffer(problems: Problems, listen: Section<ListenConfig>, admin: Section<ListenConfig>): void {
  const { host, port } = listen.values;
  const other = admin.values;
  if (host === undefined || port === undefined || other.host === undefined || other.port === undefined) return;
  if (port === 0 || port !== other.port || host.toLowerCase() !== other.host.toLowerCase()) return;
  // Blame the side the file actually set: the other one may be a default.
  const [path, peer] = admin.given.has('port') ? ['admin.port', 'listen'] : ['listen.port', 'admin'];
  problems.add(
    path,
    `${host}:${port} is also the ${peer} address`,
    'listen and admin need different ports, or port 0 for any free port',
  );
}

function readTelemetry(problems: Problems, root: Mapping): TelemetryConfig | undefined {
  const raw = root.entries.get('telemetry');
  if (raw === undefined) {
    problems.add('telemetry', 'missing', `required: a mapping with ${SOURCES_EXPECTED}`);
    return undefined;
  }
  const section = readSection(problems, root, 'telemetry', TELEMETRY);
  if (section === undefined) return undefined;
  checkTelemetryTiming(problems, section);
  checkTelemetrySources(problems, section.given, section.values.inBand);
  const prometheus = readPrometheus(problems, raw);
  if (section.whole === undefined || prometheus === undefined) return undefined;
  return { ...section.whole, prometheus };
}

function checkTelemetryTiming(problems: Problems, { values, given }: Section<TelemetryConfig>): void {
  const own = (key: keyof TelemetryConfig, value: number): string =>
    given.has(key) ? String(value) : `the default ${value}`;
  const other = (key: keyof TelemetryConfig, value: number): string =>
    `${given.has(key) ? '' : 'the default '}telemetry.${key} ${value}`;
  const { intervalMs, timeoutMs, staleAfterMs } = values;
  if (staleAfterMs === undefined) return;
  if (intervalMs !== undefined && staleAfterMs < intervalMs) {
    problems.add(
      'telemetry.staleAfterMs',
      `${own('staleAfterMs', staleAfterMs)} is shorter than ${other('intervalMs', intervalMs)}`,
      `at least ${intervalMs}, or every report goes stale between two polls`,
    );
  }
  if (timeoutMs !== undefined && timeoutMs > staleAfterMs) {
    problems.add(
      'telemetry.timeoutMs',
      `${own('timeoutMs', timeoutMs)} is longer than ${other('staleAfterMs', staleAfterMs)}`,
      `at most ${staleAfterMs}, so that a hung poll is given up before the data it would refresh goes stale`,
    );
  }
}

/** Every name the deployments list gives, valid entries or not, so a rename is not blamed for another entry's problem. */
function deploymentNamesIn(root: Mapping): Set<string> {
  const raw = root.entries.get('deployments');
  const names = new Set<string>();
  if (!Array.isArray(raw)) return names;
  for (const entry of raw) {
    if (isRecord(entry) && typeof entry.name === 'string') names.add(entry.name);
  }
  return names;
}

/** The object, once no part is missing; parts are missing exactly when a problem was recorded. */
function complete<T extends object>(parts: { [K in keyof T]: T[K] | undefined }): T | undefined {
  return Object.values(parts).includes(undefined) ? undefined : (parts as T);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// Turns a parsed YAML/JSON document into a Config with every default filled in, or
// into the complete list of what is wrong with it.

import {
  DEFAULT_ADMIN,
  DEFAULT_CONSERVATIVE,
  DEFAULT_LIMITS,
  DEFAULT_LISTEN,
  DEFAULT_LOG,
  DEFAULT_SHUTDOWN,
  DEFAULT_TELEMETRY,
  DEFAULT_UPSTREAM,
} from './defaults.js';
import type {
  Config,
  ConservativeConfig,
  LimitsConfig,
  ListenConfig,
  LogConfig,
  LogLevel,
  ShutdownConfig,
  TelemetryConfig,
  UpstreamConfig,
} from './types.js';
import {
  type Mapping,
  type Schema,
  type Section,
  Problems,
  ROOT,
  httpUrl,
  integerIn,
  nonEmptyText,
  numberIn,
  oneOf,
  readMapping,
  readSection,
} from './validate-fields.js';
import { readBackends, readDeployments, readZones } from './validate-topology.js';

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

const TELEMETRY: Schema<TelemetryConfig> = {
  url: { check: httpUrl },
  intervalMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.intervalMs },
  timeoutMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.timeoutMs },
  staleAfterMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.staleAfterMs },
  minCoverage: { check: numberIn(0, 1, 'a number from 0 to 1'), fallback: DEFAULT_TELEMETRY.minCoverage },
  estimateMaxAgeMs: { check: durationMs, fallback: DEFAULT_TELEMETRY.estimateMaxAgeMs },
};

const CONSERVATIVE: Schema<ConservativeConfig> = {
  maxShareFactor: {
    check: numberIn(1, Number.MAX_VALUE, 'a number >= 1'),
    fallback: DEFAULT_CONSERVATIVE.maxShareFactor,
  },
};

const LIMITS: Schema<LimitsConfig> = {
  maxBodyBytes: {
    check: integerIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer number of bytes'),
    fallback: DEFAULT_LIMITS.maxBodyBytes,
  },
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

const LOG: Schema<LogConfig> = { level: { check: oneOf(LOG_LEVELS, 'log level'), fallback: DEFAULT_LOG.level } };

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
};

export function validateConfig(raw: unknown): ConfigResult {
  const problems = new Problems();
  const root = readMapping(problems, ROOT, raw, Object.keys(ROOT_KEYS));
  const config = root === undefined ? undefined : readConfig(problems, root);
  if (problems.messages.length > 0) return { ok: false, errors: problems.messages };
  if (config === undefined) throw new Error('config rejected without a recorded problem');
  return { ok: true, config: deepFreeze(config) };
}

function readConfig(problems: Problems, root: Mapping): Config | undefined {
  const listen = readSection(problems, root, 'listen', listenSchema(DEFAULT_LISTEN));
  const admin = readSection(problems, root, 'admin', listenSchema(DEFAULT_ADMIN));
  if (listen !== undefined && admin !== undefined) checkListenersDiffer(problems, listen, admin);
  const zones = readZones(problems, root);
  const backends = readBackends(problems, root, zones);
  const deployments = readDeployments(problems, root, { zones, backends });
  const telemetry = readSection(problems, root, 'telemetry', TELEMETRY);
  if (telemetry !== undefined) checkTelemetryTiming(problems, telemetry);
  return complete<Config>({
    listen: listen?.whole,
    admin: admin?.whole,
    zones: zones && Object.fromEntries(zones.regionsOf),
    backends: backends?.list,
    deployments,
    telemetry: telemetry?.whole,
    conservative: readSection(problems, root, 'conservative', CONSERVATIVE)?.whole,
    limits: readSection(problems, root, 'limits', LIMITS)?.whole,
    upstream: readSection(problems, root, 'upstream', UPSTREAM)?.whole,
    shutdown: readSection(problems, root, 'shutdown', SHUTDOWN)?.whole,
    log: readSection(problems, root, 'log', LOG)?.whole,
  });
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

// The configuration schema: every key, its type, its default and what it does, in one
// place. The config's types (types.ts), the DEFAULT_* constants (defaults.ts),
// switchyard.schema.json and docs/configuration.md all come from here. Checks that relate
// keys to each other are in cross-checks.ts.
import { z } from 'zod';
import { backend } from './backend.js';
import * as f from './fields.js';
import { describe, says } from './wording.js';

// Node's timers fire almost at once for longer delays, which would turn a long timeout
// into an immediate one.
const MAX_MS = 2_147_483_647;
const MAX = Number.MAX_SAFE_INTEGER;
const ms = f.defaulted(f.integer(1, MAX_MS, `a positive integer number of milliseconds, at most ${MAX_MS}`));
const msOrZero = (zero = '') => f.defaulted(f.integer(0, MAX_MS, `an integer number of milliseconds >= 0${zero}`));
const bytes = f.defaulted(f.integer(1, MAX, 'a positive integer number of bytes'));
const count = (min: number) => f.defaulted(f.integer(min, MAX, `an integer >= ${min}`));
const unbounded = f.defaulted(f.integer(0, MAX, 'an integer >= 0; 0 means unbounded'));
const fraction = f.defaulted(f.number(0, 1, 'a number from 0 to 1'));
const percent = (min = 0) => f.defaulted(f.number(min, 100, `a percentage from ${min} to 100`));
const flag = f.defaulted(f.boolean);
const port = f.defaulted(f.integer(0, 65_535, 'an integer from 0 to 65535; 0 means any free port'));
const host = f.defaulted(f.text('a non-empty host name or IP address'));
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const POLICIES = ['adaptive', 'static', 'round-robin', 'reported-headroom'] as const;

/** What a telemetry section must name, as its problems say. */
export const SOURCES = 'at least one load source: url, prometheus, or inBand: true';

const zones = f
  .mapping(
    z
      .array(f.text('a non-empty region name'), { error: says('a list of region names') })
      .min(1, 'no regions (at least one region name)'),
    'a mapping of data zone -> its regions, e.g. us: [eastus2, centralus]',
  )
  .superRefine((value, ctx) => {
    const message = 'no data zones (at least one, e.g. us: [eastus2, centralus])';
    if (Object.keys(value).length === 0) ctx.addIssue({ code: 'too_small', origin: 'object', minimum: 1, message });
  })
  .meta({
    description: 'Data zone -> its regions; a region is in at most one zone.',
    examples: [{ us: ['eastus2', 'centralus'], eu: ['swedencentral'] }],
  });

// The schema only types a deployment's zone and region: whether one is right depends on its
// type and on the zones and backends the file declares, so cross-checks.ts judges them.
// Priorities label metrics, so they come from a small range (src/admission/request-class.ts).
const PRIORITY = 'an integer from -10 to 10 (higher is served first; negative may be shed)';
const priority = f.integer(-10, 10, PRIORITY);
const inherited = (schema: z.ZodType<number>, description: string) =>
  f.defaulted(schema.nullable())(null, `${description} Unset: the admission section's.`);
const deploymentAdmission = f
  .section({
    maxWaitMs: inherited(
      f.integer(0, MAX_MS, `an integer number of milliseconds >= 0, at most ${MAX_MS}`),
      'Longest wait for room.',
    ),
    maxQueued: inherited(f.integer(0, MAX, 'an integer >= 0'), 'Most requests waiting.'),
    maxQueuedBytes: inherited(
      f.integer(1, MAX, 'a positive integer number of bytes'),
      'Most body bytes held while waiting.',
    ),
    defaultPriority: inherited(priority, 'Priority of a request that names none.'),
  })
  .nullable();

// What a deployment's telemetry counts (capacity and inUse), and so what a request costs.
export const CAPACITY_UNITS = ['requests', 'concurrent-tokens', 'tokens-per-minute'] as const;
const CAPACITY_UNIT_WORDS =
  'requests: requests in flight (each counts routing.loadPerRequest); concurrent-tokens: tokens in flight ' +
  '(KV cache: each request holds its estimate, prompt + max output, until it ends); tokens-per-minute: tokens ' +
  'charged over the last minute (each request its estimate on arrival, corrected by the usage its answer reports).';

const placement = (expected: string) => f.defaulted(f.kind(expected, () => z.string().nullable().catch(null)));
const deployment = f.section({
  name: f
    .pathSegment('chat-eu')
    .meta({ description: 'What clients call: /openai/deployments/{name}/..., or "model" on /v1; unique.' }),
  model: f.text('a non-empty model name, e.g. "gpt-5.2"').meta({ description: 'Its model, as telemetry names it.' }),
  type: f.oneOf(['global', 'datazone', 'regional'], 'deployment type').meta({
    description: 'Its boundary: every region with a backend (global), its zone (datazone), or its region (regional).',
  }),
  zone: placement('a data zone declared under zones')(
    null,
    'Type datazone only, and required there: its data zone, which needs a region with a backend.',
  ),
  region: placement('a region with a backend')(null, 'Type regional only, and required there: its region.'),
  admission: f.defaulted(deploymentAdmission)(null, "This deployment's own admission settings, each one optional."),
  capacityUnit: f.defaulted(f.oneOf(CAPACITY_UNITS, 'capacity unit').nullable())(
    null,
    `The unit of its regions' capacity and inUse; deployments of one model share it. Unset: routing.capacityUnit. ${CAPACITY_UNIT_WORDS}`,
  ),
});

const query = f.text(
  'a PromQL instant query with one sample per region and model, e.g. "sum by (region, model) (vllm:num_requests_running)"',
);
const label = f.defaulted(
  f.matching('a Prometheus label name: letters, digits and _, not starting with a digit', /^[A-Za-z_][A-Za-z0-9_]*$/),
);
// Two instant queries per interval, each answering one sample per (region, model).
const prometheus = f.section(
  {
    url: f
      .httpUrl('the http(s) base URL of a Prometheus-compatible HTTP API, e.g. "http://127.0.0.1:9090"', 'base')
      .meta({ description: 'Base URL of the HTTP API (a path prefix included); queries go to {url}/api/v1/query.' }),
    capacityQuery: query.meta({ description: "PromQL whose samples are each region's capacity for a model." }),
    inUseQuery: query.meta({ description: "PromQL whose samples are each region's load, in the capacity's unit." }),
    // Where vLLM, SGLang and most exporters put them once a scrape config adds the region.
    regionLabel: label('region', 'The sample label that names the region.'),
    modelLabel: label('model', 'The sample label that names the model.'),
  },
  { expected: 'a mapping with url, capacityQuery and inUseQuery' },
);

// One problem for the whole mapping; its regions are checked against the backends in cross-checks.ts.
const weights = f
  .mapping(z.unknown(), 'a mapping of region to a positive number, e.g. { eastus2: 60, centralus: 40 }')
  .superRefine((map, ctx) => {
    const bad = Object.entries(map).find(([, w]) => typeof w !== 'number' || !Number.isFinite(w) || w <= 0);
    if (bad)
      ctx.addIssue({ code: 'custom', message: `weight of ${bad[0]} is ${describe(bad[1])} (a positive number)` });
  })
  .transform((map) => map as Record<string, number>)
  .meta({ additionalProperties: { type: 'number', exclusiveMinimum: 0 } });

const listen = f.optionalSection('The data plane: where clients send requests.', {
  host: host('127.0.0.1', 'Address to listen on.'),
  port: port(8080, 'Port to listen on.'),
});

const telemetry = f
  .section(
    {
      url: f.defaulted(f.httpUrl('an http(s) URL, e.g. "http://127.0.0.1:9100/telemetry"').nullable())(
        null,
        'The JSON capacity report (docs/telemetry.md), polled with GET.',
      ),
      prometheus: f.defaulted(prometheus.nullable())(
        null,
        'A Prometheus-compatible HTTP API as a load source: two instant queries per interval.',
      ),
      // Load headers cost a scan of the answer's header names; they are the only signal
      // that keeps flowing while every polled source is down.
      inBand: flag(
        true,
        'Read load headers on backend answers (rate limits, ORCA) and ask backends for ORCA; they refine ' +
          "a region's figures between polls. A source on its own only when set to true in the file.",
      ),
      intervalMs: ms(500, 'Time from the end of one poll of the polled sources (url, prometheus) to the next.'),
      timeoutMs: ms(1000, 'A poll not answered by then is abandoned and counted as failed; at most staleAfterMs.'),
      staleAfterMs: ms(3000, 'A report older than this counts as missing; at least intervalMs.'),
      minCoverage: fraction(0.75, "Below this fraction of a deployment's regions with fresh data: conservative."),
      estimateMaxAgeMs: ms(30_000, "How long a stale region's last headroom stays its estimate (then: the median)."),
      // About 10,000 reports. Parsing costs the event loop ~20-30 ms per MiB, which every
      // request in flight waits for; raise it only for a fleet that needs more.
      maxBodyBytes: bytes(1024 * 1024, 'A larger telemetry body (counted as it arrives) fails the poll: too_large.'),
    },
    { required: `a mapping with ${SOURCES}` },
  )
  .meta({ description: `Where load figures come from, and how long they stay fresh; ${SOURCES}.` });

const sections = {
  conservative: f.optionalSection('How traffic is spread when telemetry cannot be trusted.', {
    maxShareFactor: f.defaulted(f.number(1, null, 'a number >= 1'))(1.5, 'No region gets over factor / N of it.'),
    passiveCapacity: flag(true, 'Steer shares inside the caps by what the router sees itself (429s, latency).'),
  }),
  // requestBodyTimeoutMs: a 16 MiB body needs ~4.5 Mbit/s to arrive in time. A client
  // slower than that holds a slot (shedding.maxInFlight) for no one's benefit.
  // clientReadTimeoutMs: as long as a backend may stay silent (upstream.bodyTimeoutMs).
  limits: f.optionalSection('Limits on what clients send and how slowly they read.', {
    maxBodyBytes: bytes(16 * 1024 * 1024, 'A larger request body gets 413.'),
    requestBodyTimeoutMs: ms(30_000, 'A request body not fully received by then gets 408; the connection is closed.'),
    clientReadTimeoutMs: ms(60_000, 'A client that reads nothing of a response for this long is disconnected.'),
  }),
  upstream: f.optionalSection('Connections to the backends.', {
    connectTimeoutMs: ms(2000, 'Time to connect to a backend.'),
    headersTimeoutMs: ms(60_000, 'Time to the response headers (time to first token for streams).'),
    bodyTimeoutMs: ms(60_000, 'Longest silence between two body chunks, SSE streams included.'),
    keepAliveTimeoutMs: ms(
      10_000,
      "How long an idle connection to a backend is kept, at most: a backend's shorter Keep-Alive: timeout=N hint " +
        '(less 2 s for transit) wins, a longer one does not.',
    ),
    maxConnectionsPerBackend: unbounded(0, 'Upper bound of connections per backend.'),
  }),
  // Below the 10 s that `docker stop` (and a compose stop) waits before SIGKILL, so a
  // default drain ends before the kill instead of at the same instant.
  shutdown: f.optionalSection('Stopping on SIGTERM or SIGINT.', {
    drainMs: ms(8000, 'How long requests in flight (streams included) may run on.'),
  }),
  log: f.optionalSection('Logs: JSON lines on stdout.', {
    level: f.defaulted(f.oneOf(LEVELS, 'log level'))('info', 'Least severe level logged.'),
    requests: flag(false, 'One line per answered request (off by default: it costs on the hot path).'),
  }),
  // Envoy's outlier detection defaults (5 consecutive 5xx, 30 s base ejection, 300 s max),
  // but a higher ejection cap than its 10%: a boundary often has only 2-4 regions, where
  // 10% would never eject anything.
  outlier: f.optionalSection("Ejecting regions that fail, judged by the router's own requests.", {
    enabled: flag(true, 'Eject a region (per model) that fails or answers anomalous 400s.'),
    windowMs: ms(10_000, 'Sliding window for failure and 400 rates.'),
    minRequests: count(1)(10, 'Attempts a region needs in the window before its rates are judged.'),
    consecutiveFailures: count(1)(5, 'Connect errors, timeouts and 5xx in a row that eject at once.'),
    failureRate: fraction(0.5, '(connect errors + timeouts + 5xx) / attempts in the window that ejects.'),
    status400: flag(true, "Detect service-side 400 anomalies: a region's 400 rate far above its peers'."),
    status400MinRate: fraction(0.5, "The region's 400 rate must reach this..."),
    status400MinExcess: fraction(0.3, "...and exceed its peers' 400 rate for the same model by this much."),
    suspectWeight: f.defaulted(f.number(0.01, 1, 'a number from 0.01 to 1'))(
      0.1,
      "A region whose recent 400 rate already exceeds its peers' by status400MinExcess, on fewer requests than an " +
        'ejection needs, keeps this fraction of its weight until it is judged (1: no down-weighting).',
    ),
    baseEjectionMs: ms(30_000, 'The first ejection lasts this; each repeat adds it again, up to maxEjectionMs.'),
    maxEjectionMs: ms(300_000, 'Longest ejection; at least baseEjectionMs.'),
    maxEjectionPercent: percent()(50, "Never eject more than this percentage of a deployment's servable regions."),
  }),
  // Envoy's retry budget (20% of active requests, at least 3 concurrent); one retry per
  // request, since each attempt of a generation can cost seconds of GPU time.
  retry: f.optionalSection('Retries inside the boundary, within a budget.', {
    enabled: flag(true, 'Re-send a request that failed before its answer started to another region.'),
    maxAttempts: f.defaulted(f.integer(1, 10, 'an integer from 1 to 10 (attempts per request, the first included)'))(
      2,
      'Attempts per request, the first included.',
    ),
    budgetPercent: percent()(
      20,
      'Retries may be at most this percentage of requests, in flight and over the last 10 s...',
    ),
    minConcurrent: count(0)(3, '...or this many, whichever is larger.'),
    backoffBaseMs: msOrZero()(25, 'Backoff before retry n: backoffBaseMs x 2^(n-1), at most backoffMaxMs.'),
    backoffMaxMs: msOrZero()(250, 'Longest backoff; at least backoffBaseMs.'),
  }),
  // Some platforms answer Retry-After in minutes; a minute is as long as we rest a region.
  // A region at its capacity edge answers 429 with a short Retry-After (often 1 s): that
  // is a capacity signal, not an outage, and resting the whole region for it moves its
  // traffic onto its peers until they answer 429 too. So only a long Retry-After (a spent
  // quota) or a region that turns away nearly everything is rested.
  cooldown: f.optionalSection('Resting regions that ask for it.', {
    enabled: flag(true, 'Rest a region that asks for it with Retry-After or retry-after-ms.'),
    maxMs: ms(60_000, 'Upper bound on a cooldown, whatever the upstream asks for.'),
    minRetryAfterMs: ms(10_000, 'A 429 with at least this Retry-After rests the region; a shorter one caps its room.'),
    min429Rate: fraction(0.9, 'A region whose 429 rate over outlier.windowMs reaches this rests too.'),
  }),
  // A capacity edge answers 429 with Retry-After of about a second (Azure: 1 s, or a
  // retry-after-ms of a few hundred ms), about the time a typical request takes to free
  // a slot; a spent window answers the time to its end, up to the 10 s sub-window (or
  // the minute). 3 s, three typical request times, tells them apart well under 10 s.
  quota: f.optionalSection('Quota windows: requests and tokens per minute, and the 429s that say they are spent.', {
    enabled: flag(
      true,
      'Keep per-region quota books and rest a region for a model while its window is spent ' +
        "(a 429 with x-ratelimit-remaining-* 0 or a long Retry-After, or the router's own count).",
    ),
    subWindowMs: ms(
      10_000,
      'The window the service enforces a per-minute limit over (Azure: 1 s or 10 s); a window admits its share of the limit.',
    ),
    spentRetryAfterMs: msOrZero()(
      3000,
      'A 429 whose Retry-After (or retry-after-ms) is longer than this says the quota is spent; a shorter one is a capacity edge.',
    ),
    limits: f.defaulted(
      z
        .array(
          f.section({
            model: f.text('a non-empty model name').meta({ description: 'The model, as telemetry names it.' }),
            region: f.text('a non-empty region name').meta({ description: 'A region with a backend.' }),
            requestsPerMinute: count(0)(0, 'Requests per minute granted there; 0: learned from the answers.'),
            tokensPerMinute: count(0)(0, 'Tokens per minute granted there; 0: learned from the answers.'),
          }),
          { error: says('a list of { model, region, requestsPerMinute, tokensPerMinute }') },
        )
        .meta({
          examples: [[{ model: 'gpt-5.2', region: 'eastus2', requestsPerMinute: 600, tokensPerMinute: 100_000 }]],
        }),
    )(
      [],
      "Per-minute limits known in advance, per model and region; without them they are learned from answers' x-ratelimit-limit-* headers.",
    ),
  }),
  // Calibrated against o200k_base (GPT-4o, GPT-5) on real prompts: docs/telemetry.md gives
  // the measured error. 4096 output tokens for a request without a maximum is what the
  // service reserves for most current models short of their whole context; set it to
  // your models' default maximum.
  tokens: f.optionalSection(
    "How a request's tokens are estimated on arrival, for token capacity units and tokens-per-minute quotas.",
    {
      defaultMaxOutputTokens: count(0)(
        4096,
        'Output tokens charged to a request that sets no max_tokens, max_completion_tokens or max_output_tokens.',
      ),
      asciiBytesPerToken: f.defaulted(f.number(0.5, 64, 'a number from 0.5 to 64'))(
        3.8,
        'ASCII bytes of prompt text per token.',
      ),
      otherBytesPerToken: f.defaulted(f.number(0.5, 64, 'a number from 0.5 to 64'))(
        4,
        'Other (non-ASCII) UTF-8 bytes of prompt text per token.',
      ),
    },
  ),
  // One request in flight counts as one unit of inUse (concurrency, as vLLM's running
  // requests and the simulator report); the smoothing constant is two default telemetry
  // intervals, chosen on the fleet model (see docs/routing.md).
  routing: f.optionalSection('How shares are computed.', {
    policy: f.defaulted(f.oneOf(POLICIES, 'routing policy'))(
      'adaptive',
      'adaptive: the telemetry-driven loop. The others are baselines for benchmarks and replays, or a fallback: ' +
        'static, fixed weights per region; round-robin, every region in turn; reported-headroom, shares by the ' +
        'reported headroom as it is, a region without fresh data counted as zero, never conservative.',
    ),
    loadPerRequest: f.defaulted(f.number(0, null, 'a number >= 0; 0 turns the own-load correction off'))(
      1,
      "Telemetry units one of the router's requests in flight adds to inUse.",
    ),
    capacityUnit: f.defaulted(f.oneOf(CAPACITY_UNITS, 'capacity unit'))(
      'requests',
      `The unit telemetry reports capacity and inUse in, for deployments that set none. ${CAPACITY_UNIT_WORDS}`,
    ),
    smoothingMs: msOrZero('; 0 means no smoothing')(1000, "Time constant for smoothing the other clients' load."),
    pickByLoad: flag(true, 'In normal mode, pick by in-flight counts: a second draw when a region is short of room.'),
    staticWeights: f.defaulted(weights)(
      {},
      'Policy static: weight per region with a backend (regions not listed weigh 1).',
    ),
  }),
  shedding: f.optionalSection('Load shedding: over a limit, requests get 429 Overloaded.', {
    maxInFlight: unbounded(10_000, 'Requests in flight across the router (streams included).'),
    maxInFlightPerBackend: unbounded(0, 'Requests in flight per backend.'),
    retryAfterS: f.defaulted(f.integer(1, 86_400, 'an integer number of seconds from 1 to 86400'))(
      1,
      'Retry-After on a shed request.',
    ),
  }),
  // An inference request lasts seconds, so a boundary with no room now has some a
  // fraction of a second later: a short wait turns a burst into latency instead of
  // refusals and client retries. 3 s is a wait an interactive client barely notices
  // next to a generation's own seconds, and shorter than the SDKs' own retry schedule
  // after a 429 (0.5-8 s, two retries). The queue holds bodies: 1,000 requests or 64 MiB
  // per deployment, whichever comes first.
  admission: f.optionalSection('Waiting for room instead of refusing: priorities and fairness.', {
    maxWaitMs: msOrZero('; 0 turns waiting (and shedding by priority) off')(
      3000,
      'When no region of the boundary has room, a request waits up to this long for one, then gets 429 QueueTimeout.',
    ),
    maxQueued: count(0)(1000, 'Most requests waiting per deployment; a full queue evicts or refuses (429 Shed).'),
    maxQueuedBytes: bytes(64 * 1024 * 1024, 'Most request-body bytes the waiting requests of one deployment hold.'),
    defaultPriority: f.defaulted(priority)(0, 'Priority of a request that names none (x-switchyard-priority).'),
    objectives: f.defaulted(
      f.mapping(priority, `a mapping of objective name -> priority (${PRIORITY}), e.g. { interactive: 5, batch: -1 }`),
    )({}, 'Names a client may send in x-gateway-inference-objective, each with its priority.'),
    fairnessHeader: f.defaulted(
      f.matching('an HTTP header name, e.g. "x-gateway-inference-fairness-id"', /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/),
    )(
      'x-gateway-inference-fairness-id',
      'The header whose value is the fairness key: within a priority, keys are served in turn.',
    ),
  }),
  // A response, conversation, file or batch lives in the region that made it; requests
  // that refer to one go there (docs/routing.md, "Stored state").
  affinity: f.optionalSection('Requests that refer to stored state go to the region that holds it.', {
    enabled: flag(
      true,
      'Route requests naming a stored response, conversation, file, batch or encrypted reasoning item to its region.',
    ),
    cacheSize: f.defaulted(f.integer(1, 10_000_000, 'an integer from 1 to 10000000'))(
      100_000,
      'Object ids whose region this router remembers (learned from answers it relayed, or found by asking).',
    ),
    probeTimeoutMs: ms(5000, 'Asking the regions where an unknown id lives is given up after this.'),
    defaultDeployment: f.defaulted(f.text('a deployment name').nullable())(
      null,
      'The deployment of a request that names none (a file upload, a list call) and no stored object; ' +
        'the x-switchyard-deployment header wins over it.',
    ),
  }),
  // Envoy's slow start shape (weight x max(min%, (t/window)^(1/aggression))), HAProxy's idea.
  slowStart: f.optionalSection('Bringing recovered regions back slowly.', {
    enabled: flag(true, 'Give a region that recovers its weight back gradually.'),
    windowMs: ms(30_000, 'A recovered region gets its full weight back over this window.'),
    minWeightPercent: percent(1)(10, 'Its weight starts at this percentage.'),
    aggression: f.defaulted(f.number(0.1, 10, 'a number from 0.1 to 10'))(1, '1 ramps linearly; higher is faster.'),
  }),
};

/**
 * Every section of the config, in the order of the reference. `env` is where "${NAME}" in
 * secret-bearing keys (admin.token, backend headers) is looked up, `baseDir` where a
 * relative file path (a backend's tls.caFile) starts.
 */
export function configShape(env: f.Environment, baseDir: string) {
  const token = f.defaulted(f.bearerToken(env, 'admin.token').nullable());
  return {
    listen,
    admin: f.optionalSection('The admin listener: dashboard, /capacity, /metrics, /healthz, /readyz.', {
      host: host('127.0.0.1', 'Address to listen on.'),
      port: port(8081, 'Port to listen on; on the same host as listen, a different port (or 0).'),
      token: token(
        null,
        'When set, every admin path but /healthz and /readyz needs "Authorization: Bearer <token>"; ' +
          '"${NAME}" is read from the environment at load.',
      ),
    }),
    zones,
    backends: f
      .list(backend(env, baseDir), 'a list of { region, url[, headers, deploymentNames, tls] }, at least one')
      .meta({
        description: 'Where requests go: one or more backends per region, each region and url once.',
        examples: [[{ region: 'eastus2', url: 'http://10.0.0.5:9001' }]],
      }),
    deployments: f.list(deployment, 'a list of { name, model, type[, zone | region] }, at least one').meta({
      description: "What clients call; a request never leaves its deployment's boundary.",
      examples: [[{ name: 'chat-eu', model: 'gpt-5.2', type: 'datazone', zone: 'eu' }]],
    }),
    telemetry,
    ...sections,
  };
}

export function configSchema(env: f.Environment, baseDir: string) {
  return f.section(configShape(env, baseDir));
}

// Every Prometheus series switchyard exports, on a registry of its own (so tests can
// run several routers in one process). Hot-path series are used through label
// children cached by the callers, never through labels() per request.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestSeries } from './request-series.js';

export class Metrics {
  readonly registry = new Registry();

  /** switchyard_requests_total and switchyard_request_duration_seconds, the per-request series. */
  readonly requests = new RequestSeries(this.registry);

  readonly upstreamErrors = new Counter({
    name: 'switchyard_upstream_errors_total',
    help: 'Upstream failures before a response was received (connect errors, timeouts, resets), by region and error code.',
    labelNames: ['region', 'error'] as const,
    registers: [this.registry],
  });

  readonly retries = new Counter({
    name: 'switchyard_retries_total',
    help: 'Requests re-sent to another region inside their boundary, by deployment and reason.',
    labelNames: ['deployment', 'reason'] as const,
    registers: [this.registry],
  });

  readonly clientAborts = new Counter({
    name: 'switchyard_client_aborts_total',
    help: 'Requests whose client went away before the response ended; the upstream request is aborted too.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'switchyard_inflight_requests',
    help: 'Requests in flight to each backend (streams included).',
    labelNames: ['region', 'backend'] as const,
    registers: [this.registry],
  });

  readonly pollFailures = new Counter({
    name: 'switchyard_telemetry_poll_failures_total',
    help: 'Telemetry polls that failed (connection, timeout, HTTP status, malformed body), by polled source (json, prometheus) and reason.',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });

  readonly polls = new Counter({
    name: 'switchyard_telemetry_polls_total',
    help: 'Telemetry polls attempted, by polled source (json, prometheus).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly reportsRejected = new Counter({
    name: 'switchyard_telemetry_reports_rejected_total',
    help: 'Telemetry reports (JSON reports, Prometheus samples) dropped because a field was missing or invalid, by source and field.',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });

  readonly reportsIgnored = new Counter({
    name: 'switchyard_telemetry_reports_ignored_total',
    help: 'Telemetry reports for regions or models the config does not know, by source.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly readingsClamped = new Counter({
    name: 'switchyard_telemetry_readings_clamped_total',
    help: "Readings whose in-use figure exceeded twice the region's capacity and entered the load estimate at that bound, by source, model and region.",
    labelNames: ['source', 'model', 'region'] as const,
    registers: [this.registry],
  });

  readonly inBandHeaders = new Counter({
    name: 'switchyard_telemetry_inband_headers_total',
    help: 'Backend answers carrying load headers (rate limits, ORCA endpoint-load-metrics), by region and result (read, unreadable).',
    labelNames: ['region', 'result'] as const,
    registers: [this.registry],
  });

  readonly sourceHealth = new Gauge({
    name: 'switchyard_telemetry_source_health',
    help: 'Each configured telemetry source (json, prometheus, in-band): 1 for its current status (ok, error, stale).',
    labelNames: ['source', 'status'] as const,
    registers: [this.registry],
  });

  readonly telemetryAge = new Gauge({
    name: 'switchyard_telemetry_age_seconds',
    help: 'Age of the newest reading of any source per region and model, at scrape time.',
    labelNames: ['region', 'model'] as const,
    registers: [this.registry],
  });

  readonly sourceUp = new Gauge({
    name: 'switchyard_telemetry_source_status',
    help: 'All telemetry sources together: 1 for the current one of ok, error, stale (stale: no source delivered within staleAfterMs).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly mode = new Gauge({
    name: 'switchyard_routing_mode',
    help: 'Routing mode per deployment: 0 = normal, 1 = conservative.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });

  readonly modeChanges = new Counter({
    name: 'switchyard_routing_mode_changes_total',
    help: 'Routing mode changes per deployment, by the mode entered.',
    labelNames: ['deployment', 'mode'] as const,
    registers: [this.registry],
  });

  readonly coverage = new Gauge({
    name: 'switchyard_telemetry_coverage_ratio',
    help: "Fraction of a deployment's servable regions with fresh telemetry.",
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });

  readonly share = new Gauge({
    name: 'switchyard_routing_share_ratio',
    help: "Planned share of a deployment's traffic per region.",
    labelNames: ['deployment', 'region'] as const,
    registers: [this.registry],
  });

  readonly planRebuilds = new Counter({
    name: 'switchyard_plan_rebuilds_total',
    help: 'Routing plan rebuilds (telemetry change, ageing tick, passive signal).',
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'switchyard_rejected_requests_total',
    help: 'Requests the router answered itself without reaching a backend, by deployment and error code.',
    labelNames: ['deployment', 'code'] as const,
    registers: [this.registry],
  });

  readonly affinityRequests = new Counter({
    name: 'switchyard_affinity_requests_total',
    help:
      'Requests bound to stored state, by deployment and outcome: cached (home known from an answer relayed), ' +
      'asked (found by asking the regions), tried (encrypted reasoning, regions tried in turn), home_unavailable, ' +
      'unknown_id, outside_boundary.',
    labelNames: ['deployment', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly affinityLookups = new Counter({
    name: 'switchyard_affinity_cache_lookups_total',
    help: "Lookups of an object's home region in this router's cache, by result (hit, miss).",
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly affinityLearned = new Counter({
    name: 'switchyard_affinity_learned_ids_total',
    help: 'Object ids whose home region the router learned from the answers it relayed.',
    registers: [this.registry],
  });

  readonly affinityProbes = new Counter({
    name: 'switchyard_affinity_probes_total',
    help: 'Rounds of asking the regions where an object lives, by result (found, unknown, unanswered, denied).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time: the home cache's entries (set by the router that owns the cache). */
  affinityCacheSize: () => number = () => 0;

  readonly affinityCacheEntries = new Gauge({
    name: 'switchyard_affinity_cache_entries',
    help: 'Object ids whose home region this router remembers.',
    registers: [this.registry],
    collect: () => {
      this.affinityCacheEntries.set(this.affinityCacheSize());
    },
  });

  readonly shed = new Counter({
    name: 'switchyard_shed_requests_total',
    help: 'Requests answered 429 Overloaded at once, by the limit that shed them (router or backend).',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  readonly retryBudgetExhausted = new Counter({
    name: 'switchyard_retry_budget_exhausted_total',
    help: 'Retries not made because the retry budget was spent; the upstream answer was passed on.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });

  readonly retryBudgetInFlight = new Gauge({
    name: 'switchyard_retries_in_flight',
    help: 'Retry attempts in flight (bounded by the retry budget), at scrape time.',
    registers: [this.registry],
  });

  readonly ejections = new Counter({
    name: 'switchyard_outlier_ejections_total',
    help: 'Regions ejected by passive outlier detection, by model, region and kind (failure, status400).',
    labelNames: ['model', 'region', 'kind'] as const,
    registers: [this.registry],
  });

  readonly backendEjections = new Counter({
    name: 'switchyard_backend_ejections_total',
    help: 'Backends skipped inside their region after consecutive connect failures.',
    labelNames: ['region', 'backend'] as const,
    registers: [this.registry],
  });

  readonly cooldowns = new Counter({
    name: 'switchyard_cooldowns_total',
    help: 'Cooldowns started by a 429/503 with Retry-After, by model and region.',
    labelNames: ['model', 'region'] as const,
    registers: [this.registry],
  });

  readonly quotaRests = new Counter({
    name: 'switchyard_quota_rests_total',
    help:
      'Regions rested for a model while a quota window is spent, by reason: remaining-tokens, remaining-requests, ' +
      'retry-after (a 429 that says so), window-requests, window-tokens (the router saw it coming).',
    labelNames: ['model', 'region', 'reason'] as const,
    registers: [this.registry],
  });

  readonly upstream429 = new Counter({
    name: 'switchyard_upstream_429_total',
    help: 'Upstream 429 answers by what they say: quota (a spent window: the region rests) or capacity (a concurrency edge).',
    labelNames: ['model', 'region', 'kind'] as const,
    registers: [this.registry],
  });

  readonly regionState = new Gauge({
    name: 'switchyard_region_state',
    help: 'Region state per deployment: 1 for the current one of active, no-backend, ejected, cooldown, slow-start.',
    labelNames: ['deployment', 'region', 'state'] as const,
    registers: [this.registry],
  });

  readonly weightFactor = new Gauge({
    name: 'switchyard_region_weight_factor',
    help: 'Fraction of its weight a region gets while it ramps back (slow start); 1 otherwise.',
    labelNames: ['deployment', 'region'] as const,
    registers: [this.registry],
  });

  readonly configReloads = new Counter({
    name: 'switchyard_config_reloads_total',
    help: 'Config reloads (SIGHUP), by result: ok (swapped in) or error (rejected; the running config kept).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  // Admission: requests that wait for room. Priorities are integers from -10 to 10,
  // so the priority label has at most 21 values per deployment.
  readonly admissionQueued = new Counter({
    name: 'switchyard_admission_queued_total',
    help: 'Requests that started waiting for room (again, after every region refused them: reason requeued), by deployment, priority and reason.',
    labelNames: ['deployment', 'priority', 'reason'] as const,
    registers: [this.registry],
  });

  readonly admissionDispatched = new Counter({
    name: 'switchyard_admission_dispatched_total',
    help: 'Waiting requests sent to a region once it had room, by deployment and priority.',
    labelNames: ['deployment', 'priority'] as const,
    registers: [this.registry],
  });

  readonly admissionRejected = new Counter({
    name: 'switchyard_admission_rejected_total',
    help:
      'Requests admission answered itself, by deployment, priority and reason: timeout (429 QueueTimeout), evicted and ' +
      'queue-full and saturated (429 Shed), shutdown and removed (503).',
    labelNames: ['deployment', 'priority', 'reason'] as const,
    registers: [this.registry],
  });

  readonly admissionWait = new Histogram({
    name: 'switchyard_admission_wait_seconds',
    help: 'Time requests waited for room, by deployment, priority and how the wait ended (dispatched, timeout, evicted, client-closed, shutdown, removed).',
    labelNames: ['deployment', 'priority', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });

  readonly admissionWaiting = new Gauge({
    name: 'switchyard_admission_waiting_requests',
    help: 'Requests waiting for room now, by deployment and priority.',
    labelNames: ['deployment', 'priority'] as const,
    registers: [this.registry],
  });

  readonly admissionBytes = new Gauge({
    name: 'switchyard_admission_waiting_bytes',
    help: 'Request-body bytes held by waiting requests, by deployment.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });

  readonly admissionOldest = new Gauge({
    name: 'switchyard_admission_oldest_wait_seconds',
    help: 'How long the longest-waiting request of each deployment has waited so far (0 when none waits).',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_process_' });
  }
}

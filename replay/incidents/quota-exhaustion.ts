// The fifth incident: a tokens-per-minute quota spent within one of its 10 s windows
// while the per-minute table shows the region about half empty. Azure OpenAI charges a
// request its prompt plus max_tokens on arrival and enforces a deployment's TPM over
// 10 s sub-windows (a sixth of the minute each); a tenant's document jobs (prompts of
// 60,000 to 100,000 tokens, max_tokens 8,000) and the burst of ordinary requests that
// comes with them spend a window in seconds, and every request there is refused until
// it turns, however little the minute has used.
import { BIG_MODEL } from '../fleet.js';
import { merge, SWITCHYARD } from '../policies.js';
import { QUOTA_FLEET, QUOTA_REGIONS, QUOTA_WINDOW_MS, USUAL_SIZES } from '../quota-fleet.js';
import type { Incident, PolicySpec } from '../types.js';
import { SDK_CLIENTS } from './clients.js';

export const TENANT_DEPLOYMENT = 'chat-us';
const JOBS = { fromS: 10, toS: 12, ratePerSecond: 2.5 };
const BURST = { fromS: 10, toS: 16, ratePerSecond: 25 };

/** A document job: a prompt of 60,000 to 100,000 tokens (median 80,000), max_tokens 8,000. */
const DOCUMENT_SIZES = {
  medianPromptTokens: 80_000,
  promptSigma: 0.08,
  maxPromptTokens: 100_000,
  medianCompletionTokens: 8000,
  completionSigma: 0,
  maxCompletionTokens: 8000,
};

/** What the operator knows: each region's TPM for gpt-5.2. */
const LIMITS = QUOTA_REGIONS.map((r) => ({ model: BIG_MODEL, region: r.region, tokensPerMinute: r.capacity }));

const SWITCHYARD_WITH_QUOTA: PolicySpec = {
  ...SWITCHYARD,
  description: `${SWITCHYARD.description}; quota.limits: each region's TPM for ${BIG_MODEL}`,
  config: merge(SWITCHYARD.config, { quota: { limits: LIMITS } }),
};

/**
 * Switchyard without token accounting: load counted in requests (no estimate of a
 * request's tokens, own load one per request in flight, room enough for any request),
 * and no stated quota (the quota books learn from the answers' headers and 429s only).
 */
export const REQUEST_COUNT_LOAD: PolicySpec = {
  name: 'request-count load',
  kind: 'ablation',
  description: 'routing.capacityUnit requests and no quota.limits: no token estimates, no quota books of its own',
  config: merge(SWITCHYARD.config, { routing: { capacityUnit: 'requests' } }),
};

export const QUOTA_EXHAUSTION: Incident = {
  name: 'quota-exhaustion',
  title: `on tokens-per-minute quotas enforced over 10 s windows, a tenant of ${TENANT_DEPLOYMENT} sends ${Math.round((JOBS.toS - JOBS.fromS) * JOBS.ratePerSecond)} document jobs (60k-100k prompt tokens, max_tokens 8,000) and ${BURST.ratePerSecond} more requests/s for ${BURST.toS - BURST.fromS} s, spending eastus2's and centralus's windows while the per-minute table shows them about half used`,
  seconds: 40,
  // The window the burst spends, to its end.
  fault: { startS: JOBS.fromS, endS: 20 },
  load: 0.5,
  client: SDK_CLIENTS,
  fleet: QUOTA_FLEET,
  // gpt-5.2's deployments only: the simulator's quota is the region's, shared by its models.
  mix: { 'chat-global': 0.35, 'chat-us': 0.15, 'chat-eu': 0.2, 'chat-apac': 0.1 },
  bursts: [
    { label: 'document jobs', deployment: TENANT_DEPLOYMENT, ...JOBS, spacing: 'even', sizes: DOCUMENT_SIZES },
    { label: "the tenant's ordinary requests", deployment: TENANT_DEPLOYMENT, ...BURST, sizes: USUAL_SIZES },
  ],
  alignMs: QUOTA_WINDOW_MS,
  events: [
    {
      atS: JOBS.fromS,
      label: `a tenant of ${TENANT_DEPLOYMENT} starts document jobs (${JOBS.ratePerSecond}/s for ${JOBS.toS - JOBS.fromS} s) and ${BURST.ratePerSecond} more requests/s`,
      control: [],
    },
    { atS: JOBS.toS, label: 'the document jobs are sent', control: [] },
    { atS: BURST.toS, label: "the tenant's burst ends", control: [] },
  ],
  switchyard: SWITCHYARD_WITH_QUOTA,
  ablations: [REQUEST_COUNT_LOAD],
};

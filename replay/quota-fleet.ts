// The fleet of the quota incident: the demo's seven regions, each a tokens-per-minute
// quota instead of slots, as an Azure OpenAI standard deployment has. A region admits
// what its 10 s sub-window has room for (a sixth of its TPM), charging each request on
// arrival by the service's estimate (prompt bytes / 4 + max_tokens), and refuses the
// rest with 429 and the time to the window's end (src/sim/quota.ts); there is no limit
// on concurrency. Telemetry reports each region's TPM as its capacity and the tokens
// charged over the trailing minute as inUse: the per-minute table of the incident.
//
// A quota is the customer's own: other customers share the service's GPUs, which the
// quota hides, but do not spend it. So there are no other tenants here: every request
// to these deployments goes through the router, and the table shows the clients'
// tokens alone. (Other applications of the same customer calling a deployment directly
// would spend its windows too; the notes in replay/RESULTS.md say what that changes.)
import { chatBodyOfSize, type RequestSizeOptions, requestSizes } from '../src/sim/request-sizes.js';
import type { SimFleetOptions, SimRegionOptions } from '../src/sim/types.js';
import { DEPLOYMENTS, REGIONS } from './fleet.js';
import type { ReplayFleet } from './types.js';

/** Each slot of the demo's fleet becomes this many tokens per minute (eastus2: 2.4M TPM). */
export const TPM_PER_SLOT = 40_000;
/** The sub-window a quota is enforced over, Azure's 10 s. */
export const QUOTA_WINDOW_MS = 10_000;
/** Output tokens are fast here (no region holds a request's slot): 1 ms each. */
const PER_TOKEN_MS = 1;
/** What the clients' requests without max_tokens would ask; they always send one. */
export const DEFAULT_TOKENS = 256;

/** The clients' usual requests: chat prompts of median 400 tokens (a few whole documents), answers of median 200. */
export const USUAL_SIZES: RequestSizeOptions = {
  medianPromptTokens: 400,
  promptSigma: 1.2,
  maxPromptTokens: 16_000,
  medianCompletionTokens: 200,
  completionSigma: 1.0,
  maxCompletionTokens: 2000,
};

export const QUOTA_REGIONS: readonly SimRegionOptions[] = REGIONS.map((r) => ({
  region: r.region,
  capacityUnit: 'tokens-per-minute',
  capacity: r.capacity * TPM_PER_SLOT,
  ...(r.ttftMs === undefined ? {} : { ttftMs: r.ttftMs }),
  perTokenMs: PER_TOKEN_MS,
  quota: { windowMs: QUOTA_WINDOW_MS },
}));

/** Tokens a request is charged (the simulator's estimate: body bytes / 4 + max_tokens), on average over a fixed sample. */
export const MEAN_USUAL_TOKENS: number = (() => {
  const n = 20_000;
  const sizes = requestSizes({ ...USUAL_SIZES, seed: 12_345 });
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes();
    sum += Math.ceil(chatBodyOfSize(size).length / 4) + size.maxTokens;
  }
  return sum / n;
})();

/** Tokens per minute the clients have: every region's TPM. */
export function clientsTpm(): number {
  return QUOTA_REGIONS.reduce((sum, r) => sum + r.capacity, 0);
}

function simOptions(): Omit<SimFleetOptions, 'now'> {
  return {
    regions: QUOTA_REGIONS.map((r) => ({ ...r, quota: { ...r.quota } })),
    models: [...new Set(DEPLOYMENTS.map((d) => d.model))],
    defaultTokens: DEFAULT_TOKENS,
    deployments: Object.fromEntries(DEPLOYMENTS.map((d) => [d.name, d.model])),
  };
}

export const QUOTA_FLEET: ReplayFleet = {
  label: `tokens-per-minute quotas (${TPM_PER_SLOT / 1000}k TPM per slot of the demo fleet), enforced over ${QUOTA_WINDOW_MS / 1000} s windows`,
  simOptions,
  capacityRate: () => clientsTpm() / 60 / MEAN_USUAL_TOKENS,
  backgroundAt: () => 0,
  routerConfig: {
    routing: { capacityUnit: 'tokens-per-minute' },
    tokens: { defaultMaxOutputTokens: DEFAULT_TOKENS },
  },
  sizes: USUAL_SIZES,
};

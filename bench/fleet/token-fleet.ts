// The token fleet of `npm run bench:fleet` (the `tokens` group): three regions whose
// capacity is a KV cache counted in concurrent tokens, 60/30/10, and requests of
// long-tailed sizes (src/sim/request-sizes.ts). A request holds its prompt plus its
// max_tokens while it runs (the simulator's count: body bytes / 4 + max_tokens) and
// runs 100 ms + 2.5 ms per output token, so most answers take 0.3 to 1.5 s and the
// largest requests hold up to 9,000 tokens, more than half of the small region.
//
// "Load" is offered token-seconds per second over the fleet's tokens: a request costs
// its tokens held times its service time (both grow with max_tokens), so the rate at
// load 1 is the fleet's tokens over the mean of that product (Little's law).
import {
  chatBodyOfSize,
  type RequestSize,
  type RequestSizeOptions,
  requestSizes,
} from '../../src/sim/request-sizes.js';
import type { SimRegionOptions } from '../../src/sim/types.js';
import type { TokenPolicyName } from './options.js';

export const TOKEN_FLEET_NAME = 'tokens';
export const TOKEN_FLEET_LABEL = '60/30/10 concurrent tokens (96k/48k/16k), long-tailed request sizes';

const TTFT_MS = 100;
const PER_TOKEN_MS = 2.5;

export const TOKEN_SIZES: RequestSizeOptions = {
  medianPromptTokens: 400,
  promptSigma: 1.2,
  maxPromptTokens: 8000,
  medianCompletionTokens: 200,
  completionSigma: 1.0,
  maxCompletionTokens: 1000,
};

const region = (name: string, tokens: number): SimRegionOptions => ({
  region: name,
  capacityUnit: 'concurrent-tokens',
  capacity: tokens,
  ttftMs: TTFT_MS,
  perTokenMs: PER_TOKEN_MS,
});

export const TOKEN_REGIONS: readonly SimRegionOptions[] = [
  region('big', 96_000),
  region('mid', 48_000),
  region('small', 16_000),
];

/** The fleet's tokens. */
export const TOKEN_CAPACITY = TOKEN_REGIONS.reduce((sum, r) => sum + r.capacity, 0);

/** A request to send: its body and the tokens it holds in the fleet (body bytes / 4 + max_tokens). */
export interface SizedRequest {
  readonly body: string;
  readonly tokens: number;
}

export function sizedRequest(size: RequestSize): SizedRequest {
  const body = chatBodyOfSize(size);
  return { body, tokens: Math.ceil(body.length / 4) + size.maxTokens };
}

/** The requests of one stream (one router's clients), from a seed. */
export function requestStream(seed: number): () => SizedRequest {
  const sizes = requestSizes({ ...TOKEN_SIZES, seed });
  return () => sizedRequest(sizes());
}

export function serviceSecondsOf(maxTokens: number): number {
  return (TTFT_MS + maxTokens * PER_TOKEN_MS) / 1000;
}

/** The mean tokens held and the mean token-seconds of a request, over a fixed sample (deterministic). */
export const TOKEN_MEANS: { readonly tokens: number; readonly tokenSeconds: number } = (() => {
  const n = 20_000;
  const sizes = requestSizes({ ...TOKEN_SIZES, seed: 12_345 });
  let tokens = 0;
  let tokenSeconds = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes();
    const held = sizedRequest(size).tokens;
    tokens += held;
    tokenSeconds += held * serviceSecondsOf(size.maxTokens);
  }
  return { tokens: tokens / n, tokenSeconds: tokenSeconds / n };
})();

/** Requests per second at `load` of the fleet's tokens. */
export function tokenRate(load: number): number {
  return (load * TOKEN_CAPACITY) / TOKEN_MEANS.tokenSeconds;
}

/** The static oracle's weights: each region's tokens. */
export function tokenOracleWeights(): Record<string, number> {
  return Object.fromEntries(TOKEN_REGIONS.map((r) => [r.region, r.capacity]));
}

/**
 * The router's config on the token fleet, on top of what every run sets (zones,
 * backends, telemetry, log). The deployment's unit and admission per policy:
 *
 * - switchyard: concurrent-tokens, admission at its defaults;
 * - request-count (the ablation): unit requests, each request in flight counting the
 *   mean request's tokens (routing.loadPerRequest), so that the router's own load is in
 *   telemetry's unit on average; what it lacks is each request's size: a region with
 *   any free room takes the next request, whatever its size;
 * - static (the oracle: weights equal to the regions' tokens) and round-robin: as on
 *   the other fleets, no admission queue.
 *
 * The clients always send max_tokens; tokens.defaultMaxOutputTokens is the fleet's
 * default all the same.
 */
export function tokenRouterConfig(policy: TokenPolicyName, defaultTokens: number): Record<string, unknown> {
  const unit = policy === 'request-count' ? 'requests' : 'concurrent-tokens';
  const routing =
    policy === 'round-robin'
      ? { policy: 'round-robin' }
      : policy === 'static'
        ? { policy: 'static', staticWeights: tokenOracleWeights() }
        : policy === 'request-count'
          ? { loadPerRequest: Math.round(TOKEN_MEANS.tokens) }
          : null;
  const baseline = policy === 'static' || policy === 'round-robin';
  return {
    deployments: [{ name: 'chat', model: 'm', type: 'global', capacityUnit: unit }],
    tokens: { defaultMaxOutputTokens: defaultTokens },
    ...(routing === null ? {} : { routing }),
    ...(baseline ? { admission: { maxWaitMs: 0 } } : {}),
  };
}

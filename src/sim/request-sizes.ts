// Request sizes for generated load: prompt and completion lengths drawn from
// log-normal distributions (long-tailed, as production prompt lengths are: most are
// short, a few are whole documents), cut at a maximum, from a seeded generator so a
// run is repeatable. And a chat body of about a given number of prompt tokens, for the
// fleet's estimate (4 bytes of text per token).
import { seededRandom } from './loop-model/random.js';

export interface RequestSizeOptions {
  /** Median prompt length in tokens (default 400). */
  readonly medianPromptTokens?: number;
  /** Spread of ln(prompt tokens) (default 1.2: the 99th percentile is ~16 x the median). */
  readonly promptSigma?: number;
  readonly maxPromptTokens?: number;
  /** Median max_tokens (default 200). */
  readonly medianCompletionTokens?: number;
  readonly completionSigma?: number;
  readonly maxCompletionTokens?: number;
  readonly seed?: number;
}

export interface RequestSize {
  readonly promptTokens: number;
  readonly maxTokens: number;
}

/** A generator of request sizes. */
export function requestSizes(opts: RequestSizeOptions = {}): () => RequestSize {
  const random = seededRandom(opts.seed ?? 1);
  const normal = () => {
    // Box-Muller; 1 - u keeps the logarithm finite.
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const draw = (median: number, sigma: number, max: number) =>
    Math.max(1, Math.min(max, Math.round(median * Math.exp(sigma * normal()))));
  return () => ({
    promptTokens: draw(opts.medianPromptTokens ?? 400, opts.promptSigma ?? 1.2, opts.maxPromptTokens ?? 100_000),
    maxTokens: draw(opts.medianCompletionTokens ?? 200, opts.completionSigma ?? 1.0, opts.maxCompletionTokens ?? 8000),
  });
}

/** A chat completions body with about `size.promptTokens` of prompt (4 bytes each) and its max_tokens. */
export function chatBodyOfSize(size: RequestSize, model: string | null = null): string {
  const content = 'word '.repeat(Math.max(0, Math.floor((size.promptTokens * 4) / 5)));
  return JSON.stringify({
    ...(model === null ? {} : { model }),
    messages: [{ role: 'user', content }],
    max_tokens: size.maxTokens,
  });
}

// The token estimate against a real tokenizer (o200k_base, GPT-4o and GPT-5's) on a
// corpus of real-ish prompts: the figures docs/telemetry.md states ("Units and
// quotas") must stay true. The tokenizer is a dev dependency, used here only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, encodeChat } from 'gpt-tokenizer/model/gpt-4o';
import { estimateTokens } from '../../src/proxy/token-estimate.js';
import { promptCorpus } from '../helpers/prompt-corpus.js';

const quantile = (values: readonly number[], q: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))] as number;
};

test('the estimate of prompt tokens is within the documented error of o200k_base', (t) => {
  const corpus = promptCorpus();
  let estimated = 0;
  let counted = 0;
  const errors: number[] = [];
  let bytes = 0;
  let scanMs = 0;
  for (const p of corpus) {
    const reference = p.messages !== null ? encodeChat([...p.messages], 'gpt-4o').length : encode(p.text ?? '').length;
    const body = Buffer.from(p.body);
    const start = performance.now();
    const e = estimateTokens(body, p.api).prompt;
    scanMs += performance.now() - start;
    bytes += body.length;
    estimated += e;
    counted += reference;
    errors.push((e - reference) / reference);
  }
  const abs = errors.map(Math.abs);
  const figures = {
    prompts: corpus.length,
    medianError: quantile(errors, 0.5),
    medianAbsError: quantile(abs, 0.5),
    p90AbsError: quantile(abs, 0.9),
    totalError: estimated / counted - 1,
    mbPerSecond: bytes / 1e6 / (scanMs / 1000),
  };
  t.diagnostic(JSON.stringify(figures));
  // docs/telemetry.md: median within ±6%, half within 10%, nine in ten within 28%, in total within ±11%.
  assert.ok(Math.abs(figures.medianError) <= 0.06, `median error ${figures.medianError}`);
  assert.ok(figures.medianAbsError <= 0.1, `median absolute error ${figures.medianAbsError}`);
  assert.ok(figures.p90AbsError <= 0.28, `90th percentile absolute error ${figures.p90AbsError}`);
  assert.ok(Math.abs(figures.totalError) <= 0.11, `total error ${figures.totalError}`);
});

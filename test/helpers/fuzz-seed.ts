// Property tests print their seed so that a failure can be replayed:
// FUZZ_SEED=<seed> node --import tsx --test <file>. FUZZ_RUNS scales the number of runs
// (the soak and a curious developer run them longer than npm test does).
import type { TestContext } from 'node:test';

export function fuzzSeed(t: TestContext): number {
  const fromEnv = process.env.FUZZ_SEED;
  const seed =
    fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  t.diagnostic(`fast-check seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return seed;
}

/** `base` runs, times FUZZ_RUNS_FACTOR when set. */
export function fuzzRuns(base: number): number {
  const factor = Number(process.env.FUZZ_RUNS_FACTOR ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

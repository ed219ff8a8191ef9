// Deterministic inputs (the fleet model's seeded generator, mulberry32): Zipf-like
// weights in a shuffled order, and a precomputed array of uniforms so the benchmark never
// measures Math.random.
import { seededRandom } from '../../src/sim/loop-model/random.js';

/**
 * w_i = 1 / (i+1)^s, then shuffled: a few regions with most of the headroom and a long
 * tail, in an order that has nothing to do with size (as a sorted region list would).
 * Without the shuffle a linear scan would find the heavy regions first and look better
 * than it is.
 */
export function zipfWeights(n: number, s: number, seed: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / (i + 1) ** s;
  const rnd = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = w[i] as number;
    w[i] = w[j] as number;
    w[j] = t;
  }
  return w;
}

/** A power-of-two count so kernels can wrap with a mask. */
export function uniforms(log2Count: number, seed: number): Float64Array {
  const out = new Float64Array(1 << log2Count);
  const rnd = seededRandom(seed);
  for (let i = 0; i < out.length; i++) out[i] = rnd();
  return out;
}

// Deterministic inputs: a seeded PRNG, Zipf-like weights in a shuffled order, and a
// precomputed array of uniforms so the benchmark never measures Math.random.

/** mulberry32: small, fast, good enough for benchmark inputs. Returns [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * w_i = 1 / (i+1)^s, then shuffled: a few regions with most of the headroom and a long
 * tail, in an order that has nothing to do with size (as a sorted region list would).
 * Without the shuffle a linear scan would find the heavy regions first and look better
 * than it is.
 */
export function zipfWeights(n: number, s: number, seed: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / (i + 1) ** s;
  const rnd = prng(seed);
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
  const rnd = prng(seed);
  for (let i = 0; i < out.length; i++) out[i] = rnd();
  return out;
}

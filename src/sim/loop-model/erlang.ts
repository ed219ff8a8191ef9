// The yardsticks a router is measured against: the loss of a fleet of C slots offered
// A erlangs of Poisson traffic that is turned away when full (Erlang B), as one pooled
// region and as a static split.

/** Erlang B: the fraction of requests lost, by the stable recurrence B(k) = A B(k-1) / (k + A B(k-1)). */
export function erlangB(servers: number, erlangs: number): number {
  if (erlangs <= 0) return 0;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (erlangs * b) / (k + erlangs * b);
  return b;
}

/** Loss of traffic split in fixed fractions over regions with these slots. */
export function staticSplitLoss(servers: readonly number[], fractions: readonly number[], erlangs: number): number {
  let lost = 0;
  servers.forEach((c, i) => {
    const a = erlangs * (fractions[i] ?? 0);
    lost += a * erlangB(c, a);
  });
  return erlangs <= 0 ? 0 : lost / erlangs;
}

/** Loss of the fleet as one pooled region. */
export function pooledLoss(servers: readonly number[], erlangs: number): number {
  return erlangB(
    servers.reduce((a, b) => a + b, 0),
    erlangs,
  );
}

// A share of one model's requests answered with an error, the rest served: how an
// engine/config mismatch looks from outside (some requests 400, some 429, most fine).
// Fractions are realised without randomness, by a golden-ratio (Weyl) sequence: every
// stretch of requests gets close to its share, and a replay sees the same pattern.

const GOLDEN = 0.6180339887498949;

export interface FailSharesRule {
  /** Statuses in ascending order with the upper end of each one's interval in [0, 1). */
  readonly statuses: readonly number[];
  readonly bounds: readonly number[];
  readonly shares: Readonly<Record<number, number>>;
}

/** Checks and freezes a status -> fraction map; null when it fails nothing. */
export function failSharesRule(shares: Readonly<Record<number, number>> | null): FailSharesRule | null {
  if (shares === null) return null;
  if (typeof shares !== 'object' || Array.isArray(shares)) {
    throw new TypeError(`failShares: must be an object of status -> fraction or null, got ${String(shares)}`);
  }
  const statuses = Object.keys(shares)
    .map(Number)
    .sort((a, b) => a - b);
  let total = 0;
  const bounds: number[] = [];
  for (const status of statuses) {
    if (!(Number.isInteger(status) && status >= 400 && status <= 599)) {
      throw new RangeError(`failShares: ${status} is not an HTTP error status 400-599`);
    }
    const f = shares[status] as number;
    if (typeof f !== 'number' || !(f > 0 && f <= 1)) {
      throw new RangeError(`failShares[${status}]: must be a fraction in (0, 1], got ${String(f)}`);
    }
    total += f;
    bounds.push(total);
  }
  if (total > 1 + 1e-9) throw new RangeError(`failShares: fractions sum to ${total}, at most 1`);
  if (statuses.length === 0) return null;
  const copy: Record<number, number> = {};
  for (const s of statuses) copy[s] = shares[s] as number;
  return { statuses, bounds, shares: Object.freeze(copy) };
}

/** The next request's fate: a status to fail it with, or null to serve it. */
export class FailSharesPicker {
  private position = 0;

  next(rule: FailSharesRule): number | null {
    const p = (this.position + GOLDEN) % 1;
    this.position = p;
    for (let i = 0; i < rule.statuses.length; i++) {
      if (p < (rule.bounds[i] as number)) return rule.statuses[i] as number;
    }
    return null;
  }
}

// Tokens the answers reported (input, output, cached), per route and per tenant, kept
// in plain numbers like the request series and read by the registry at scrape time.
//
// A tenant is a fairness key, which a client may well fill with something secret (an
// API key, a user id). So no key is ever a label: the first MAX_TENANT_LABELS keys seen
// get a label made of the first 12 hex digits of their SHA-256 (an operator can compute
// it from a key they know; it cannot be turned back into a high-entropy key), and every
// later key counts as "other". The cardinality is bounded by the constant, and the map
// of keys to labels never grows past it.
import { createHash } from 'node:crypto';

/** Tenants with a series of their own; the rest are "other". */
export const MAX_TENANT_LABELS = 32;
export const OTHER_TENANT = 'other';

export const TOKEN_KINDS = ['input', 'output', 'cached'] as const;

/** Tokens reported by the answers of one route or tenant. */
export class TokenCounts {
  input = 0;
  output = 0;
  cached = 0;
  /** Answers that reported usage. */
  answers = 0;

  add(input: number, output: number, cached: number): void {
    this.input += input;
    this.output += output;
    this.cached += cached;
    this.answers++;
  }

  /** Input and output tokens: what a tokens-per-minute quota counts. */
  get total(): number {
    return this.input + this.output;
  }
}

/** The label a fairness key is shown by. */
export function tenantLabel(key: string): string {
  return `t-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/** Per deployment and tenant label: its token counts. */
export class TenantTokens {
  private readonly labels = new Map<string, string>();
  readonly byDeployment = new Map<string, Map<string, TokenCounts>>();

  /** The label of a key: its own while there is room for one, else "other". */
  labelOf(key: string): string {
    const known = this.labels.get(key);
    if (known !== undefined) return known;
    if (this.labels.size >= MAX_TENANT_LABELS) return OTHER_TENANT;
    const label = tenantLabel(key);
    this.labels.set(key, label);
    return label;
  }

  counts(deployment: string, key: string): TokenCounts {
    let tenants = this.byDeployment.get(deployment);
    if (tenants === undefined) {
      tenants = new Map();
      this.byDeployment.set(deployment, tenants);
    }
    const label = this.labelOf(key);
    let counts = tenants.get(label);
    if (counts === undefined) {
      counts = new TokenCounts();
      tenants.set(label, counts);
    }
    return counts;
  }
}

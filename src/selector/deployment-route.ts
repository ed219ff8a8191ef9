// What the hot path reads for one deployment: the plan it was built from, an alias
// table over the plan's routable regions, and those regions' upstreams. Built when a
// plan changes, swapped by reference, never mutated.
import type { DeploymentPlan } from '../planner/types.js';
import { AliasTable } from './alias-table.js';

export class DeploymentRoute<T extends { readonly region: string }> {
  readonly plan: DeploymentPlan;
  private readonly table: AliasTable | null;
  private readonly targets: readonly T[];

  constructor(plan: DeploymentPlan, upstreamOf: (region: string) => T) {
    this.plan = plan;
    this.targets = plan.routable.map(upstreamOf);
    this.table = plan.routable.length === 0 ? null : new AliasTable(plan.shares);
  }

  /** u: uniform in [0, 1). Null when the plan routes nowhere (see plan.rejection). */
  pick(u: number): T | null {
    const table = this.table;
    return table === null ? null : (this.targets[table.pick(u)] as T);
  }

  /** Whether some routable region is not in `exclude`. */
  hasOther(exclude: ReadonlySet<string>): boolean {
    for (let i = 0; i < this.targets.length; i++) {
      if (!exclude.has((this.targets[i] as T).region)) return true;
    }
    return false;
  }

  /**
   * A region other than `exclude`, by the plan's shares renormalised over the rest.
   * Retries only: a linear scan is fine off the common path.
   */
  pickOther(exclude: ReadonlySet<string>, u: number): T | null {
    const shares = this.plan.shares;
    let total = 0;
    for (let i = 0; i < this.targets.length; i++) {
      if (!exclude.has((this.targets[i] as T).region)) total += shares[i] as number;
    }
    if (!(total > 0)) return null;
    let x = u * total;
    let last: T | null = null;
    for (let i = 0; i < this.targets.length; i++) {
      const t = this.targets[i] as T;
      if (exclude.has(t.region)) continue;
      last = t;
      x -= shares[i] as number;
      if (x < 0) return t;
    }
    return last;
  }
}

// What the hot path reads for one deployment: the plan it was built from, an alias
// table over the plan's routable regions, and their targets. Built when a plan
// changes, swapped by reference, never mutated (but for round robin's position).
//
// In normal mode the pick also uses what the router knows at that instant: a region's
// free room is the room the plan weighed for it (capped after a 429) minus this
// router's load in flight there. The drawn region is kept when it has room left; if it
// has none, the region with the most free room is taken instead (a bounded scan from a
// random start). While regions have room this is exactly the planned shares; as they
// fill, the pick moves to the one with room, so the fleet behaves like one pooled
// region rather than a static split, and a region that has just answered 429 is passed
// over until its own requests drain. Conservative mode keeps plain weighted picks, so
// its caps hold.
//
// In a token unit (concurrent-tokens, tokens-per-minute) a request needs room for its
// token estimate, not just some room: a region whose free room is below it is passed
// over like a full one, so a large request goes where it fits, and waits (admission)
// when no region has room for it. In unit requests a request needs any room at all.
import type { DeploymentPlan } from '../planner/types.js';
import type { LoadCell } from '../telemetry/own-load.js';
import { AliasTable } from './alias-table.js';

export interface RouteTarget {
  readonly region: string;
  readonly load: LoadCell;
}

/** A pick or a retry looks at no more regions than this, whatever the boundary's size. */
export const MAX_SCAN = 16;

export class DeploymentRoute<T extends RouteTarget> {
  readonly plan: DeploymentPlan;
  private readonly table: AliasTable | null;
  private readonly targets: readonly T[];
  private readonly rooms: Float64Array;
  private readonly byLoad: boolean;
  private readonly rotate: boolean;
  /** The plan's unit is tokens: a request needs room for its estimate. */
  private readonly byTokens: boolean;
  /** Round robin's position: the only state a route changes. */
  private next = 0;

  constructor(plan: DeploymentPlan, targetOf: (region: string) => T) {
    this.plan = plan;
    this.targets = plan.routable.map(targetOf);
    this.table = plan.routable.length === 0 ? null : new AliasTable(plan.shares);
    this.rooms = Float64Array.from(plan.rooms);
    this.byLoad = plan.pick === 'by-load';
    this.rotate = plan.pick === 'rotate';
    this.byTokens = plan.unit !== 'requests';
  }

  /** Room of routable region i for this router now (the plan's, capped after a 429), in telemetry units. */
  private room(i: number): number {
    const room = this.rooms[i] as number;
    const cap = (this.targets[i] as T).load.roomCap;
    return room < cap ? room : cap;
  }

  /** Free room of routable region i now: its room less this router's load there. */
  private free(i: number): number {
    return this.room(i) - (this.targets[i] as T).load.units;
  }

  /** Whether region i has room for a request of `tokens` now (see the header). */
  private fits(i: number, tokens: number): boolean {
    const f = this.free(i);
    return f > 0 && (!this.byTokens || f >= tokens);
  }

  /** Whether the plan's rooms are estimates to trust (see DeploymentPlan.roomKnown): admission can tell "no room" from them. */
  get knowsRoom(): boolean {
    return this.plan.roomKnown;
  }

  /** Whether the plan routes anywhere (else plan.rejection says why not). */
  get routable(): boolean {
    return this.table !== null;
  }

  /**
   * For admission, when knowsRoom: a region as pick() chooses one, but only one with
   * room for it now; null when no routable region has (the request waits). `tokens`:
   * the request's estimate (token units only).
   */
  pickWithRoom(random: () => number, tokens = 0): T | null {
    const table = this.table;
    if (table === null) return null;
    return this.withRoom(table.pick(random()), null, random, tokens);
  }

  /** The drawn region i if it has room, else the one with the most free room if that has; else null. */
  private withRoom(i: number, exclude: ReadonlySet<string> | null, random: () => number, tokens: number): T | null {
    if (this.fits(i, tokens)) return this.targets[i] as T;
    const j = this.mostRoom(i, exclude, this.scanStart(random()));
    return this.room(j) > 0 && this.fits(j, tokens) ? (this.targets[j] as T) : null;
  }

  /** Null when the plan routes nowhere (see plan.rejection). `tokens`: the request's estimate (token units only). */
  pick(random: () => number, tokens = 0): T | null {
    const table = this.table;
    if (table === null) return null;
    if (this.rotate) {
      const k = this.next;
      this.next = k + 1 === this.targets.length ? 0 : k + 1;
      return this.targets[k] as T;
    }
    const i = table.pick(random());
    if (!this.byLoad || this.fits(i, tokens)) return this.targets[i] as T;
    return this.targets[this.mostRoom(i, null, this.scanStart(random()))] as T;
  }

  /**
   * The routable region with the most free room among at most MAX_SCAN, starting at a
   * random one (so ties and large boundaries do not favour the same regions), skipping
   * `exclude`; `fallback` when no region has any room. A region without room for this
   * router at all (other clients fill it, or a 429 capped it with nothing in flight) is
   * never "the one with the most": it turns away at once everything sent to it, so with
   * every region overcommitted it would otherwise draw all the diverted requests.
   */
  private mostRoom(fallback: number, exclude: ReadonlySet<string> | null, start: number): number {
    const n = this.targets.length;
    const steps = n < MAX_SCAN ? n : MAX_SCAN;
    let best = fallback;
    let bestFree = this.room(fallback) > 0 ? this.free(fallback) : Number.NEGATIVE_INFINITY;
    for (let k = 0; k < steps; k++) {
      let i = start + k;
      if (i >= n) i -= n;
      if (exclude?.has((this.targets[i] as T).region)) continue;
      if (this.room(i) <= 0) continue;
      const f = this.free(i);
      if (f > bestFree) {
        best = i;
        bestFree = f;
      }
    }
    return best;
  }

  /**
   * Where the scan starts, from a uniform draw. An integer, so that the call into
   * mostRoom passes a small integer rather than a double (which V8 boxes, one
   * allocation per pick, when it does not inline the call).
   */
  private scanStart(u: number): number {
    return (u * this.targets.length) | 0;
  }

  /** Whether some routable region is not in `exclude`. */
  hasOther(exclude: ReadonlySet<string>): boolean {
    for (let i = 0; i < this.targets.length; i++) {
      if (!exclude.has((this.targets[i] as T).region)) return true;
    }
    return false;
  }

  /**
   * A region other than `exclude`, by the plan's shares renormalised over the rest; in
   * normal mode, as for a pick, the region with the most free room when the drawn one
   * has none. Retries only: a linear scan is fine off the common path.
   */
  pickOther(exclude: ReadonlySet<string>, random: () => number, tokens = 0): T | null {
    const i = this.drawOther(exclude, random());
    if (i < 0) return null;
    if (!this.byLoad || this.fits(i, tokens)) return this.targets[i] as T;
    return this.targets[this.mostRoom(i, exclude, this.scanStart(random()))] as T;
  }

  /**
   * For admission, when knowsRoom: as pickOther(), but only a region with free room
   * now; null when none outside `exclude` has any (the request waits rather than
   * being sent where it would be refused).
   */
  pickOtherWithRoom(exclude: ReadonlySet<string>, random: () => number, tokens = 0): T | null {
    const i = this.drawOther(exclude, random());
    return i < 0 ? null : this.withRoom(i, exclude, random, tokens);
  }

  private drawOther(exclude: ReadonlySet<string>, u: number): number {
    const shares = this.plan.shares;
    let total = 0;
    for (let i = 0; i < this.targets.length; i++) {
      if (!exclude.has((this.targets[i] as T).region)) total += shares[i] as number;
    }
    if (!(total > 0)) return -1;
    let x = u * total;
    let last = -1;
    for (let i = 0; i < this.targets.length; i++) {
      if (exclude.has((this.targets[i] as T).region)) continue;
      last = i;
      x -= shares[i] as number;
      if (x < 0) return i;
    }
    return last;
  }
}

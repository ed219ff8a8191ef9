// Regions resting after a 503 with Retry-After, a long 429 Retry-After, or a 429 rate
// that says the region turns nearly everything away; per model. Read when plans are
// rebuilt (never per request). Entries are judged and dropped on the injected clock,
// so tests and the fleet model stay deterministic; there is at most one per
// (model, region), so the map stays small without a timer.

export interface Cooldown {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly reason: string;
}

export class Cooldowns {
  private readonly held = new Map<string, Cooldown>();

  constructor(private maxMs: number) {}

  /** A reload: cooldowns in force keep their end. */
  reconfigure(maxMs: number): void {
    this.maxMs = maxMs;
  }

  /** Returns the cooldown now in force for that region (the longer one wins). */
  rest(model: string, region: string, requestedMs: number, reason: string, nowMs: number): Cooldown {
    const key = `${model}\u0000${region}`;
    const ms = Math.min(Math.max(0, requestedMs), this.maxMs);
    const held = this.held.get(key);
    if (held !== undefined && held.untilMs >= nowMs + ms) return held;
    const cooldown: Cooldown = { sinceMs: nowMs, untilMs: nowMs + ms, reason };
    this.held.set(key, cooldown);
    return cooldown;
  }

  active(model: string, region: string, nowMs: number): Cooldown | undefined {
    const key = `${model}\u0000${region}`;
    const c = this.held.get(key);
    if (c === undefined) return undefined;
    if (nowMs < c.untilMs) return c;
    this.held.delete(key);
    return undefined;
  }

  all(nowMs: number): Array<Cooldown & { model: string; region: string }> {
    const out: Array<Cooldown & { model: string; region: string }> = [];
    for (const [key, c] of this.held) {
      if (nowMs >= c.untilMs) {
        this.held.delete(key);
        continue;
      }
      const [model, region] = key.split('\u0000') as [string, string];
      out.push({ model, region, ...c });
    }
    return out;
  }
}

// Regions resting after a 429/503 with Retry-After, per model. A TTL map read when
// plans are rebuilt (never per request): node-cache evicts what has ended, while the
// end time itself is compared with the injected clock so tests stay deterministic.
import NodeCache from 'node-cache';

export interface Cooldown {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly reason: string;
}

export class Cooldowns {
  private readonly cache = new NodeCache({ useClones: false, checkperiod: 5 });

  constructor(private readonly maxMs: number) {}

  /** Returns the cooldown now in force for that region (the longer one wins). */
  rest(model: string, region: string, requestedMs: number, reason: string, nowMs: number): Cooldown {
    const key = `${model}\u0000${region}`;
    const ms = Math.min(Math.max(0, requestedMs), this.maxMs);
    const held = this.cache.get<Cooldown>(key);
    if (held !== undefined && held.untilMs >= nowMs + ms) return held;
    const cooldown: Cooldown = { sinceMs: nowMs, untilMs: nowMs + ms, reason };
    // Evict a little after the end; the end is checked against our own clock anyway.
    this.cache.set(key, cooldown, Math.ceil(ms / 1000) + 1);
    return cooldown;
  }

  active(model: string, region: string, nowMs: number): Cooldown | undefined {
    const c = this.cache.get<Cooldown>(`${model}\u0000${region}`);
    return c !== undefined && nowMs < c.untilMs ? c : undefined;
  }

  all(nowMs: number): Array<Cooldown & { model: string; region: string }> {
    const out: Array<Cooldown & { model: string; region: string }> = [];
    for (const key of this.cache.keys()) {
      const c = this.cache.get<Cooldown>(key);
      if (c === undefined || nowMs >= c.untilMs) continue;
      const [model, region] = key.split('\u0000') as [string, string];
      out.push({ model, region, ...c });
    }
    return out;
  }

  close(): void {
    this.cache.close();
  }
}

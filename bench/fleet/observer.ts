// Samples, every plan interval, each router's planned shares (GET /capacity) and each
// region's true utilisation (the simulator's control endpoint): the stability figures
// of a run come from these samples.
import { request } from 'undici';

export interface Sample {
  readonly t: number;
  /** Per router, shares in the fleet's region order. */
  readonly shares: ReadonlyArray<readonly number[]>;
  /** Capacity in use (the router's clients' and other tenants', in the region's unit) / capacity, per region. */
  readonly utilisation: readonly number[];
}

export interface Stability {
  /** Mean fraction of traffic moved between consecutive samples (half the sum of |share change|), router 0. */
  readonly shareSwing: number;
  /** Longest time any router held a region at share 0 while its utilisation was below 0.7. */
  readonly longestIdleZeroShareMs: number;
  readonly utilisation: ReadonlyArray<{ readonly region: string; readonly mean: number; readonly std: number }>;
}

interface CapacityDoc {
  deployments: Array<{ name: string; regions: Array<{ region: string; share: number }> }>;
}

interface ControlDoc {
  regions: Array<{ region: string; capacity: number; inUse: number }>;
}

async function getJson<T>(url: string): Promise<T | null> {
  try {
    const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return null;
    }
    return (await res.body.json()) as T;
  } catch {
    return null;
  }
}

export class Observer {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly t0 = performance.now();
  private busy = false;

  constructor(
    private readonly regions: readonly string[],
    private readonly adminUrls: readonly string[],
    private readonly controlUrl: string,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const t = performance.now() - this.t0;
    const [control, ...docs] = await Promise.all([
      getJson<ControlDoc>(this.controlUrl),
      ...this.adminUrls.map((u) => getJson<CapacityDoc>(`${u}/capacity`)),
    ]);
    this.busy = false;
    if (control === null || docs.some((d) => d === null)) return;
    const utilisation = this.regions.map((name) => {
      const r = control.regions.find((x) => x.region === name);
      return r === undefined || r.capacity === 0 ? 0 : r.inUse / r.capacity;
    });
    const shares = (docs as CapacityDoc[]).map((doc) => {
      const dep = doc.deployments.find((d) => d.name === 'chat');
      return this.regions.map((name) => dep?.regions.find((r) => r.region === name)?.share ?? 0);
    });
    this.samples.push({ t, shares, utilisation });
  }

  /** Figures over the samples taken after `fromMs`. */
  stability(fromMs: number): Stability {
    const samples = this.samples.filter((s) => s.t >= fromMs);
    let swing = 0;
    for (let i = 1; i < samples.length; i++) {
      const a = (samples[i - 1] as Sample).shares[0] as readonly number[];
      const b = (samples[i] as Sample).shares[0] as readonly number[];
      swing += b.reduce((sum, s, k) => sum + Math.abs(s - (a[k] as number)), 0) / 2;
    }
    let longest = 0;
    const routers = samples[0]?.shares.length ?? 0;
    for (let k = 0; k < routers; k++) {
      for (let r = 0; r < this.regions.length; r++) {
        let since: number | null = null;
        for (const s of samples) {
          if ((s.shares[k]?.[r] ?? 1) === 0 && (s.utilisation[r] as number) < 0.7) {
            since ??= s.t;
            longest = Math.max(longest, s.t - since);
          } else since = null;
        }
      }
    }
    return {
      shareSwing: samples.length < 2 ? 0 : swing / (samples.length - 1),
      longestIdleZeroShareMs: Math.round(longest),
      utilisation: this.regions.map((region, r) => {
        const values = samples.map((s) => s.utilisation[r] as number);
        const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
        const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length);
        return { region, mean, std: Math.sqrt(variance) };
      }),
    };
  }
}

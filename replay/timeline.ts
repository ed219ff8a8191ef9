// Plays an incident on the simulated fleet while the clients send: each event's control
// calls at its time, other tenants' load set every tick from the replay's clock, and a
// sample of every region (capacity, in flight, background, counters) per tick for the
// measurements. Ticks never overlap; a tick that runs late is not made up.
import { request } from 'undici';
import { REGION_NAMES, SLOT_FLEET } from './fleet.js';
import type { Incident } from './types.js';

export const TICK_MS = 250;

export interface RegionSample {
  readonly listening: boolean;
  readonly capacity: number;
  /** Capacity in use in the region's unit, other tenants' included (slots: in flight + background). */
  readonly inUse: number;
  readonly inFlight: number;
  readonly background: number;
  readonly received: number;
  /** Requests turned away because the region was full, or because its quota window was spent. */
  readonly rejectedFull: number;
}

export interface Sample {
  /** Milliseconds after the load started. */
  readonly tMs: number;
  /** In REGION_NAMES order. */
  readonly regions: readonly RegionSample[];
}

export interface ControlRegion {
  region: string;
  listening: boolean;
  capacity: number;
  inUse: number;
  inFlight: number;
  background: number;
  stats: {
    received: number;
    rejectedFull: number;
    rejectedQuota: number;
    rejected429: number;
    status400: number;
    receivedByDeployment: Record<string, number>;
  };
}

async function post(url: string): Promise<void> {
  const res = await request(url, { method: 'POST', headersTimeout: 5000, bodyTimeout: 5000 });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`POST ${url}: ${res.statusCode} ${body}`);
}

export async function fleetState(controlUrl: string): Promise<ControlRegion[]> {
  const res = await request(controlUrl, { headersTimeout: 5000, bodyTimeout: 5000 });
  if (res.statusCode !== 200) throw new Error(`GET ${controlUrl}: ${res.statusCode}`);
  return ((await res.body.json()) as { regions: ControlRegion[] }).regions;
}

export class Timeline {
  readonly samples: Sample[] = [];
  readonly errors: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private ticking: Promise<void> = Promise.resolve();
  private readonly lastBackground = new Map<string, number>();
  private t0 = 0;

  constructor(
    private readonly controlUrl: string,
    private readonly incident: Incident,
    /** Wall seconds per incident second. */
    private readonly scale: number,
  ) {}

  /** Sets the background for t = 0 before the load starts. */
  async prepare(): Promise<void> {
    await this.setBackgrounds(0);
  }

  start(t0: number): void {
    this.t0 = t0;
    for (const event of this.incident.events) {
      const delay = Math.max(0, t0 + event.atS * 1000 * this.scale - performance.now());
      this.timers.push(setTimeout(() => void this.apply(event.control), delay));
    }
    this.scheduleTick(1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.ticking;
  }

  private scheduleTick(n: number): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.t0 + n * TICK_MS - performance.now());
    const timer = setTimeout(() => {
      this.ticking = this.tick().then(() => {
        const next = Math.max(n + 1, Math.ceil((performance.now() - this.t0) / TICK_MS));
        this.scheduleTick(next);
      });
    }, delay);
    this.timers.push(timer);
  }

  private async apply(paths: readonly string[]): Promise<void> {
    // In order: a region's capacity is set before it starts again.
    for (const p of paths) {
      try {
        await post(`${this.controlUrl}${p}`);
      } catch (err) {
        this.errors.push((err as Error).message);
      }
    }
  }

  private async setBackgrounds(tS: number): Promise<void> {
    await Promise.all(
      REGION_NAMES.map(async (region) => {
        const usual = (this.incident.fleet ?? SLOT_FLEET).backgroundAt(region, tS);
        const value = Math.round((this.incident.background?.(region, tS, usual) ?? usual) * 100) / 100;
        if (this.lastBackground.get(region) === value) return;
        this.lastBackground.set(region, value);
        try {
          await post(`${this.controlUrl}/regions/${region}/background/${value}`);
        } catch (err) {
          this.errors.push((err as Error).message);
        }
      }),
    );
  }

  private async tick(): Promise<void> {
    const tMs = performance.now() - this.t0;
    await this.setBackgrounds(tMs / 1000 / this.scale);
    try {
      const regions = await fleetState(this.controlUrl);
      this.samples.push({
        tMs: performance.now() - this.t0,
        regions: REGION_NAMES.map((name) => {
          const r = regions.find((x) => x.region === name) as ControlRegion;
          return {
            listening: r.listening,
            capacity: r.capacity,
            inUse: r.inUse,
            inFlight: r.inFlight,
            background: r.background,
            received: r.stats.received,
            rejectedFull: r.stats.rejectedFull + r.stats.rejectedQuota,
          };
        }),
      });
    } catch (err) {
      this.errors.push((err as Error).message);
    }
  }
}

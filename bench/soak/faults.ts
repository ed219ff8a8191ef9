// Faults on a fixed schedule that repeats every minute, so that every minute after the
// first sees the same mix and heap figures can be compared minute to minute:
//
//   0-5 s    healthy
//   5-15 s   telemetry answers 500
//   15-25 s  telemetry flaps: a malformed body and a good one, alternating every second
//   25-30 s  telemetry hangs (polls time out)
//   30-45 s  region us1 stops (its regional deployment has nowhere to go) and comes back
//   45-52 s  region eu2 stops and comes back
//   52-60 s  healthy
//
// Clients aborting streams, bad requests and stalled bodies run all the time (load.ts).
import type { SimFleet, TelemetryFailMode } from '../../src/sim/index.js';

export interface FaultState {
  readonly telemetry: TelemetryFailMode | null;
  readonly stopped: readonly string[];
}

export function faultsAt(secondOfMinute: number): FaultState {
  const s = secondOfMinute;
  let telemetry: TelemetryFailMode | null = null;
  if (s >= 5 && s < 15) telemetry = 'status500';
  else if (s >= 15 && s < 25) telemetry = Math.floor(s) % 2 === 0 ? 'malformed' : null;
  else if (s >= 25 && s < 30) telemetry = 'hang';
  const stopped: string[] = [];
  if (s >= 30 && s < 45) stopped.push('us1');
  if (s >= 45 && s < 52) stopped.push('eu2');
  return { telemetry, stopped };
}

/** Applies the schedule every 250 ms until stopped; transitions are logged once. */
export class FaultSchedule {
  private timer: NodeJS.Timeout | null = null;
  private current: FaultState = { telemetry: null, stopped: [] };
  readonly transitions: string[] = [];

  constructor(
    private readonly fleet: SimFleet,
    private readonly startedAt: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.apply(), 250);
  }

  private async apply(): Promise<void> {
    const want = faultsAt(((Date.now() - this.startedAt) / 1000) % 60);
    if (want.telemetry !== this.current.telemetry) {
      this.fleet.telemetry.fail(want.telemetry);
      if (want.telemetry !== 'malformed' && this.current.telemetry !== 'malformed')
        this.transitions.push(`telemetry ${want.telemetry ?? 'healthy'}`);
    }
    for (const region of this.fleet.regions) {
      const stop = want.stopped.includes(region.name);
      if (stop && region.isListening()) await region.stop();
      if (!stop && !region.isListening()) await region.start();
    }
    this.current = want;
  }

  /** Heals everything: telemetry answers, every region listens. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.fleet.telemetry.fail(null);
    for (const region of this.fleet.regions) if (!region.isListening()) await region.start();
  }
}

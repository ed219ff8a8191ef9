// One deployment's admission state: its settings (the admission section with the
// deployment's own overrides), the queue of requests waiting for room, and how fast
// its requests finish. Outlives reloads with the deployment's runtime, so a SIGHUP
// keeps what waits.
import { AdmissionQueue, type Waiting } from '../admission/admission-queue.js';
import { DrainRate } from '../admission/drain-rate.js';
import type { AdmissionConfig, DeploymentAdmissionConfig } from '../config/types.js';
import type { RouterErrorCode } from './errors.js';
import type { RegionTarget } from './upstream.js';

/** A waiting request's place in its queue. */
export interface WaitingPlace {
  /** The client left: out of the queue, nothing was sent upstream. */
  withdraw(): void;
}

/** What admission needs of a request (a ProxyCall). */
export interface WaitingCall {
  readonly priority: number;
  readonly fairnessKey: string;
  readonly bodyBytes: number;
  /** Its token estimate (0: none made): it is sent only where it fits. */
  readonly tokens: number;
  readonly waitDeadlineMs: number;
  /** When it first started waiting (ms); set by wait(). */
  readonly waitingSinceMs: number;
  wait(place: WaitingPlace): void;
  dispatch(target: RegionTarget): void;
  refuse(code: RouterErrorCode, message: string, retryAfterS: number): void;
}

export interface AdmissionSettings {
  /** 0: requests never wait (and are never shed by priority): refused or sent at once, as without admission. */
  readonly maxWaitMs: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
  readonly defaultPriority: number;
}

export function admissionSettings(section: AdmissionConfig, own: DeploymentAdmissionConfig | null): AdmissionSettings {
  return {
    maxWaitMs: own?.maxWaitMs ?? section.maxWaitMs,
    maxQueued: own?.maxQueued ?? section.maxQueued,
    maxQueuedBytes: own?.maxQueuedBytes ?? section.maxQueuedBytes,
    defaultPriority: own?.defaultPriority ?? section.defaultPriority,
  };
}

/** A request's entry in the queue: made each time it starts waiting, so a stale entry never aliases a new one. */
export class Ticket implements Waiting, WaitingPlace {
  queued = false;
  heapIndex = -1;
  readonly priority: number;
  readonly fairnessKey: string;
  readonly bytes: number;
  readonly deadlineMs: number;
  readonly waitingSinceMs: number;

  constructor(
    readonly call: WaitingCall,
    private readonly owner: DeploymentAdmission,
    nowMs: number,
  ) {
    this.priority = call.priority;
    this.fairnessKey = call.fairnessKey;
    this.bytes = call.bodyBytes;
    this.deadlineMs = call.waitDeadlineMs;
    this.waitingSinceMs = call.waitingSinceMs >= 0 ? call.waitingSinceMs : nowMs;
  }

  withdraw(): void {
    this.owner.withdrawn(this);
  }
}

export class DeploymentAdmission {
  readonly queue: AdmissionQueue<Ticket>;
  readonly rate = new DrainRate();
  /**
   * Dispatches allowed without an estimate of room (conservative mode, the baseline
   * policies): one per request of the deployment that finishes, one per re-plan.
   */
  credits = 0;
  /** Priorities that have had requests waiting (their gauges are zeroed when empty). */
  readonly priorities = new Set<number>();

  constructor(
    readonly name: string,
    public settings: AdmissionSettings,
    private readonly onWithdrawn: (ticket: Ticket, deployment: string) => void,
  ) {
    this.queue = new AdmissionQueue<Ticket>(settings);
  }

  reconfigure(settings: AdmissionSettings): void {
    this.settings = settings;
    this.queue.setLimits(settings);
  }

  withdrawn(ticket: Ticket): void {
    if (this.queue.remove(ticket)) this.onWithdrawn(ticket, this.name);
  }
}

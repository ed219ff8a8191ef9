// Admission: what happens to a request when no region of its boundary has room. It
// waits in its deployment's queue (admission-queue.ts) and is sent the moment a region
// has room: a request of the deployment finishes, a re-plan brings a report, a load
// header or a cooldown's end, or the periodic check finds room. A request that cannot
// wait gets 429 with a Retry-After that says when room is expected (drain-rate.ts):
// QueueTimeout after its wait, Shed when it is sheddable (negative priority) or pushed
// out of a full queue.
//
// Waiting never crosses a boundary and never bypasses ejections or cooldowns: a waiting
// request is sent only where its deployment's current route would send a new one.
// With an estimate of room (normal mode, pick by load) it is sent to a region with free
// room; without one (conservative mode, the baseline policies) one waiting request is
// sent per request of the deployment that finishes, and one per re-plan.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { DeploymentAdmission, Ticket } from './deployment-admission.js';
import { Ticket as QueueTicket } from './deployment-admission.js';
import type { DeploymentRuntime } from './deployment-runtime.js';
import type { AdmissionDesk, ProxyCall } from './proxy-call.js';

/** How often, while requests wait, deadlines are swept and room is looked for. */
export const ADMISSION_TICK_MS = 25;

export interface GateEnv {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random: () => number;
}

/** Why admission answered a request itself. */
type Refusal = 'timeout' | 'evicted' | 'queue-full' | 'saturated' | 'shutdown' | 'removed';

export class AdmissionGate implements AdmissionDesk {
  /** Requests waiting, over every deployment. */
  waiting = 0;
  /** Deployments with requests waiting. */
  private readonly busy = new Set<DeploymentRuntime>();
  private timer: NodeJS.Timeout | null = null;
  private kickPending = false;

  constructor(private readonly env: GateEnv) {}

  /**
   * A new request with no region to go to now: it waits (true), or is answered 429
   * Shed (false) when it is sheddable or the queue is full of requests at least as
   * important.
   */
  enqueue(call: ProxyCall): boolean {
    const deployment = call.deployment;
    if (call.priority < 0) {
      this.refuse(
        deployment,
        call,
        'saturated',
        'the boundary has no room now and the request is sheddable (priority < 0)',
      );
      return false;
    }
    return this.offer(deployment, call, false);
  }

  /** Every region refused a request that had been sent: it waits again, first of its key. */
  requeue(call: ProxyCall): boolean {
    return this.offer(call.deployment, call, true);
  }

  /** Whether `deployment` has requests waiting (a new one must not pass them). */
  hasWaiting(deployment: DeploymentRuntime): boolean {
    return deployment.admission.queue.size > 0;
  }

  /** A request of `deployment` is over: room may have appeared. The hot path's only cost here. */
  finished(deployment: DeploymentRuntime): void {
    const admission = deployment.admission;
    admission.rate.finished++;
    if (admission.queue.size === 0) return;
    admission.credits++;
    this.soon();
  }

  /** Routes were rebuilt (a report, a load header, a cooldown's end): look for room. */
  replanned(): void {
    if (this.waiting === 0) return;
    for (const d of this.busy) d.admission.credits++;
    this.soon();
  }

  /** The Retry-After (s) for a request of `deployment` at `priority` refused now. */
  retryAfterS(deployment: DeploymentRuntime, priority: number, waitedMs: number): number {
    const admission = deployment.admission;
    admission.rate.tick(this.env.now());
    const ahead = admission.queue.waitingAtOrAbove(priority);
    const idle = Math.max(waitedMs, admission.settings.maxWaitMs);
    return admission.rate.retryAfterMs(ahead, this.env.random(), idle) / 1000;
  }

  /** The router stops: every waiting request gets 503 ShuttingDown at once. */
  shutDown(): void {
    for (const d of [...this.busy]) {
      for (const t of d.admission.queue.drain()) {
        this.left(d, t, 'shutdown');
        this.count(d, t.priority, 'shutdown');
        t.call.refuse('ShuttingDown', 'the router is shutting down; retry on another instance', 1);
      }
    }
    this.settle();
  }

  /** A reload removed `deployment`: what waits for it gets 503. */
  removed(deployment: DeploymentRuntime): void {
    for (const t of deployment.admission.queue.drain()) {
      this.left(deployment, t, 'removed');
      this.count(deployment, t.priority, 'removed');
      t.call.refuse(
        'NoRegionAvailable',
        `deployment "${deployment.name}" was removed by a config reload while the request waited`,
        1,
      );
    }
    this.settle();
  }

  /** A waiting request's client left (its ticket told its deployment). */
  readonly withdrawn = (ticket: Ticket, deployment: string): void => {
    this.waiting--;
    this.observeWait(deployment, ticket, 'client-closed');
    this.settle();
  };

  /** Stops the periodic check (the router is closed). */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  // ---- Inside ------------------------------------------------------------------------

  private offer(deployment: DeploymentRuntime, call: ProxyCall, front: boolean): boolean {
    const admission = deployment.admission;
    const now = this.env.now();
    const ticket = new QueueTicket(call, admission, now);
    const offer = admission.queue.offer(ticket, front);
    for (const victim of offer.evicted) {
      this.left(deployment, victim, 'evicted');
      this.count(deployment, victim.priority, 'evicted');
      const after = this.retryAfterS(deployment, victim.priority, now - victim.waitingSinceMs);
      victim.call.refuse('Shed', 'pushed out of the full admission queue by a more important request', after);
    }
    if (!offer.queued) {
      const { maxQueued, maxQueuedBytes } = admission.settings;
      this.refuse(
        deployment,
        call,
        'queue-full',
        `the admission queue is full (admission.maxQueued ${maxQueued}, maxQueuedBytes ${maxQueuedBytes}) of requests at least as important`,
      );
      this.settle();
      return false;
    }
    this.waiting++;
    admission.priorities.add(call.priority);
    this.busy.add(deployment);
    call.wait(ticket);
    this.env.metrics.admissionQueued
      .labels(deployment.name, String(call.priority), front ? 'requeued' : 'no-room')
      .inc();
    if (this.timer === null) {
      this.timer = setInterval(this.tick, ADMISSION_TICK_MS);
      this.timer.unref();
    }
    return true;
  }

  private refuse(deployment: DeploymentRuntime, call: ProxyCall, reason: Refusal, message: string): void {
    this.count(deployment, call.priority, reason);
    const waited = call.waitingSinceMs < 0 ? 0 : this.env.now() - call.waitingSinceMs;
    call.refuse('Shed', message, this.retryAfterS(deployment, call.priority, waited));
  }

  private count(deployment: DeploymentRuntime, priority: number, reason: Refusal): void {
    this.env.metrics.admissionRejected.labels(deployment.name, String(priority), reason).inc();
  }

  /** The books of a request that left the queue, however it left. */
  private left(deployment: DeploymentRuntime, ticket: Ticket, outcome: string): void {
    this.waiting--;
    this.observeWait(deployment.name, ticket, outcome);
  }

  private observeWait(deployment: string, ticket: Ticket, outcome: string): void {
    const seconds = Math.max(0, this.env.now() - ticket.waitingSinceMs) / 1000;
    this.env.metrics.admissionWait.labels(deployment, String(ticket.priority), outcome).observe(seconds);
  }

  private soon(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    setImmediate(this.kick);
  }

  private readonly kick = (): void => {
    this.kickPending = false;
    for (const d of this.busy) this.dispatchFrom(d);
    this.settle();
  };

  /** Sends waiting requests of `deployment` while a region has room for them. */
  private dispatchFrom(deployment: DeploymentRuntime): void {
    const admission = deployment.admission;
    const queue = admission.queue;
    const route = deployment.route;
    if (route === null) return;
    // A request that every backend sheds comes straight back: look at each at most once.
    for (let n = queue.size; n > 0 && queue.size > 0; n--) {
      let target = null;
      // The next in line goes first, where it fits: a large request is not overtaken
      // by smaller ones (in token units it waits for room for its whole estimate).
      if (route.knowsRoom) target = route.pickWithRoom(this.env.random, (queue.peek() as Ticket).call.tokens);
      else if (admission.credits > 0) {
        target = route.pick(this.env.random, (queue.peek() as Ticket).call.tokens);
        if (target !== null) admission.credits--;
      }
      if (target === null) break;
      const ticket = queue.next() as Ticket;
      this.left(deployment, ticket, 'dispatched');
      this.env.metrics.admissionDispatched.labels(deployment.name, String(ticket.priority)).inc();
      ticket.call.dispatch(target);
    }
    if (queue.size === 0) admission.credits = 0;
  }

  private readonly tick = (): void => {
    const now = this.env.now();
    for (const d of this.busy) {
      const admission = d.admission;
      admission.rate.tick(now);
      for (const t of admission.queue.expire(now)) {
        this.left(d, t, 'timeout');
        this.count(d, t.priority, 'timeout');
        const waited = now - t.waitingSinceMs;
        t.call.refuse(
          'QueueTimeout',
          `no region of the boundary had room within ${Math.round(waited)} ms (admission.maxWaitMs ${admission.settings.maxWaitMs})`,
          this.retryAfterS(d, t.priority, waited),
        );
      }
      this.dispatchFrom(d);
    }
    this.publish(now);
    this.settle();
  };

  /** Gauges: depth by priority, bytes and oldest wait per deployment. */
  private publish(now: number): void {
    const m = this.env.metrics;
    for (const d of this.busy) this.publishOne(m, d, d.admission, now);
  }

  private publishOne(m: Metrics, d: DeploymentRuntime, admission: DeploymentAdmission, now: number): void {
    const stats = admission.queue.stats(now);
    let oldest = 0;
    for (const p of admission.priorities) {
      const band = stats.find((b) => b.priority === p);
      m.admissionWaiting.labels(d.name, String(p)).set(band?.waiting ?? 0);
      if (band !== undefined && band.oldestWaitMs > oldest) oldest = band.oldestWaitMs;
    }
    m.admissionBytes.labels(d.name).set(admission.queue.bytes);
    m.admissionOldest.labels(d.name).set(oldest / 1000);
  }

  /** Deployments whose queue emptied leave the busy set (their gauges go to 0); the tick stops when none waits. */
  private settle(): void {
    for (const d of this.busy) {
      if (d.admission.queue.size > 0) continue;
      this.busy.delete(d);
      d.admission.credits = 0;
      this.publishOne(this.env.metrics, d, d.admission, this.env.now());
    }
    if (this.busy.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

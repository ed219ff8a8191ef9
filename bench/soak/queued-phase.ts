// The soak's queued phase: QUEUED requests with BODY_BYTES bodies waiting at once in
// the admission queue of a fresh router, what that costs in RSS, and whether it all
// goes away once they drain.
//
// A fresh router child (--expose-gc) in front of two simulated regions. Rehearsal: a
// few hundred requests wait and drain once (so the code paths are compiled and the
// pools exist before the baseline), then the client closes its connections and the
// idle router is sampled (two GCs). Fill: both regions' background load is set to their
// capacity (telemetry says full, a request sent anyway gets 429), QUEUED clients send
// at once, each on its own connection, and the router is sampled once every one of
// them waits. Drain: the background goes back to 0, every request must be served, the
// client closes its connections, and the router is sampled again at rest.
import { Agent, request } from 'undici';
import { type SimFleet, startSimFleet } from '../../src/sim/index.js';
import type { ChildRegistry } from '../../tools/children.js';
import { pollUntil, sleep } from '../../tools/wait.js';
import type { RouterSample } from './router-child.js';
import { type RouterChild, startRouterChild } from './router-handle.js';

export const QUEUED = 5000;
export const BODY_BYTES = 4096;
const REHEARSAL = 500;
const CAPACITY = 50;
/** What the router may use per waiting request beyond its body (the target's stated overhead). */
export const OVERHEAD_BUDGET_BYTES = 24 * 1024;
/** The queue's byte bound: the bodies and a 5% margin. */
export const MAX_QUEUED_BYTES = Math.ceil(QUEUED * BODY_BYTES * 1.05);
const MAX_WAIT_MS = 120_000;
const PATH = '/openai/deployments/q/chat/completions?api-version=2024-10-21';

export interface QueuedFigures {
  readonly queued: number;
  readonly bodyBytes: number;
  readonly maxQueuedBytes: number;
  readonly overheadBudgetBytes: number;
  /** After the rehearsal, client connections closed, two GCs. */
  readonly baseline: RouterSample;
  /** Every request waiting (two GCs first: the bodies are alive, garbage is not). */
  readonly waitingSample: RouterSample;
  /** The most requests /capacity showed waiting at once, and their bytes then. */
  readonly peakWaiting: number;
  readonly peakWaitingBytes: number;
  /** Milliseconds from the first send to all of them waiting, and to all answered after the drain began. */
  readonly fillMs: number;
  readonly drainMs: number;
  readonly answers: Record<string, number>;
  /** After the drain, client connections closed, two GCs. */
  readonly after: RouterSample;
  /** The same after a second fill and drain. */
  readonly afterSecond: RouterSample;
  /** The queue's gauges after the drain: /capacity and /metrics. */
  readonly gaugesAfter: { waiting: number; waitingBytes: number; metricWaiting: number; metricBytes: number };
}

function bodyOf(bytes: number): string {
  const empty = JSON.stringify({ messages: [{ role: 'user', content: '' }], max_tokens: 4 });
  return JSON.stringify({ messages: [{ role: 'user', content: 'q'.repeat(bytes - empty.length) }], max_tokens: 4 });
}

interface AdmissionDoc {
  deployments: Array<{
    name: string;
    admission: { waiting: number; waitingBytes: number };
    regions: Array<{ room: number | null }>;
  }>;
}

/** Whether the router's estimate gives no region of the deployment room (telemetry has seen them full). */
async function noRoom(adminPort: number): Promise<boolean> {
  const res = await request(`http://127.0.0.1:${adminPort}/capacity`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const doc = (await res.body.json()) as AdmissionDoc;
  return (doc.deployments.find((d) => d.name === 'q')?.regions ?? []).every((r) => (r.room ?? 0) <= 0);
}

async function admissionOf(adminPort: number): Promise<{ waiting: number; waitingBytes: number }> {
  const res = await request(`http://127.0.0.1:${adminPort}/capacity`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const doc = (await res.body.json()) as AdmissionDoc;
  const a = doc.deployments.find((d) => d.name === 'q')?.admission;
  return { waiting: a?.waiting ?? -1, waitingBytes: a?.waitingBytes ?? -1 };
}

/** Sum of a gauge's series in the router's /metrics. */
async function gaugeSum(adminPort: number, name: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${adminPort}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
  let sum = 0;
  for (const line of (await res.body.text()).split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function setFull(fleet: SimFleet, full: boolean): void {
  for (const r of fleet.regions) r.setBackground(full ? r.capacity() : 0);
}

/**
 * Sends `n` requests at once on `n` connections and resolves when every one is answered
 * (or failed), each counted by status; bounded by the router's own maxWaitMs and the
 * clients' timeouts.
 */
function sendAll(agent: Agent, port: number, n: number, body: string, answers: Record<string, number>): Promise<void> {
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    all.push(
      request(`http://127.0.0.1:${port}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        dispatcher: agent,
        headersTimeout: MAX_WAIT_MS + 30_000,
        bodyTimeout: 30_000,
      })
        .then(async (res) => {
          const text = await res.body.text();
          let key = String(res.statusCode);
          if (res.statusCode !== 200) {
            const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
            const from = res.headers['x-switchyard-region'] === undefined ? '' : ' (backend)';
            key = `${key} ${code ?? ''}${from}`;
          }
          answers[key] = (answers[key] ?? 0) + 1;
        })
        .catch((err: Error) => {
          const key = `client error ${(err as { code?: string }).code ?? err.name}`;
          answers[key] = (answers[key] ?? 0) + 1;
        }),
    );
  }
  return Promise.all(all).then(() => undefined);
}

/** Waits (bounded) until each of `n` requests waits or was answered; returns the most seen waiting at once. */
async function untilWaiting(
  adminPort: number,
  n: number,
  answers: Record<string, number>,
  timeoutMs: number,
): Promise<{ waiting: number; waitingBytes: number }> {
  let peak = { waiting: 0, waitingBytes: 0 };
  await pollUntil(
    async () => {
      const a = await admissionOf(adminPort);
      if (a.waiting > peak.waiting) peak = a;
      const answered = Object.values(answers).reduce((x, y) => x + y, 0);
      return a.waiting + answered >= n;
    },
    { timeoutMs, everyMs: 100 },
  ).catch(() => undefined);
  return peak;
}

async function atRest(router: RouterChild): Promise<RouterSample> {
  let s = await router.sample();
  const rest = (x: RouterSample): boolean => x.requestsInFlight === 0 && x.attemptsInFlight === 0;
  if (!rest(s)) await pollUntil(async () => rest((s = await router.sample())), { timeoutMs: 30_000, everyMs: 250 });
  // Sockets the clients closed take a moment to be gone on the router's side.
  await sleep(500);
  return router.sample();
}

export async function runQueuedPhase(reg: ChildRegistry, log: (msg: string) => void): Promise<QueuedFigures> {
  const fleet = await startSimFleet({
    regions: ['q1', 'q2'].map((region) => ({ region, capacity: CAPACITY, ttftMs: 5, perTokenMs: 3 })),
    models: ['m'],
  });
  const { router, port, adminPort } = await startRouterChild(reg, {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    zones: { all: ['q1', 'q2'] },
    backends: fleet.backends.map((b) => ({ region: b.region, url: b.url })),
    deployments: [{ name: 'q', model: 'm', type: 'global' }],
    telemetry: { url: fleet.telemetryUrl, intervalMs: 250, staleAfterMs: 1500, timeoutMs: 400 },
    admission: { maxWaitMs: MAX_WAIT_MS, maxQueued: QUEUED + REHEARSAL, maxQueuedBytes: MAX_QUEUED_BYTES },
    log: { level: 'warn' },
  });
  const body = bodyOf(BODY_BYTES);
  const fill = async (n: number, answers: Record<string, number>) => {
    setFull(fleet, true);
    // Until the router's estimate says full (requests sent before that get 429 and wait too).
    await pollUntil(() => noRoom(adminPort), { timeoutMs: 5000, everyMs: 50 });
    const agent = new Agent({ connections: n + 10, pipelining: 1, keepAliveTimeout: 60_000 });
    const t0 = performance.now();
    const done = sendAll(agent, port, n, body, answers);
    const peak = await untilWaiting(adminPort, n, answers, 60_000);
    const fillMs = performance.now() - t0;
    return { agent, done, peak, fillMs };
  };
  const drain = async (r: { agent: Agent; done: Promise<void> }) => {
    const t0 = performance.now();
    setFull(fleet, false);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, MAX_WAIT_MS + 60_000);
    });
    await Promise.race([r.done, limit]);
    clearTimeout(timer);
    const drainMs = performance.now() - t0;
    await r.agent.close();
    return drainMs;
  };

  log(`queued phase: rehearsal with ${REHEARSAL} waiting requests`);
  const rehearsal = await fill(REHEARSAL, {});
  await drain(rehearsal);
  const baseline = await atRest(router);
  log(`queued phase: baseline rss ${baseline.rssMB} MB, heap after GC ${baseline.heapUsedMB} MB`);

  const answers: Record<string, number> = {};
  const full = await fill(QUEUED, answers);
  const waitingSample = await router.sample();
  log(
    `queued phase: ${full.peak.waiting} waiting (${full.peak.waitingBytes} bytes) after ${Math.round(full.fillMs)} ms; ` +
      `rss ${waitingSample.rssMB} MB, heap after GC ${waitingSample.heapUsedMB} MB`,
  );
  const drainMs = await drain(full);
  const after = await atRest(router);
  // Once more: what a leak keeps grows with every cycle; what the allocator keeps does not.
  const again = await fill(QUEUED, {});
  await drain(again);
  const afterSecond = await atRest(router);
  log(`queued phase: after a second cycle rss ${afterSecond.rssMB} MB, heap after GC ${afterSecond.heapUsedMB} MB`);
  const a = await admissionOf(adminPort);
  const gaugesAfter = {
    ...a,
    metricWaiting: await gaugeSum(adminPort, 'switchyard_admission_waiting_requests'),
    metricBytes: await gaugeSum(adminPort, 'switchyard_admission_waiting_bytes'),
  };
  log(
    `queued phase: drained in ${Math.round(drainMs)} ms, answers ${JSON.stringify(answers)}; ` +
      `rss ${after.rssMB} MB, heap after GC ${after.heapUsedMB} MB`,
  );
  if (router.child.running) router.child.proc.send({ type: 'stop' });
  await pollUntil(async () => !router.child.running, { timeoutMs: 15_000, everyMs: 100 }).catch(() => undefined);
  await reg.stop(router.child);
  await fleet.close();
  return {
    queued: QUEUED,
    bodyBytes: BODY_BYTES,
    maxQueuedBytes: MAX_QUEUED_BYTES,
    overheadBudgetBytes: OVERHEAD_BUDGET_BYTES,
    baseline,
    waitingSample,
    peakWaiting: full.peak.waiting,
    peakWaitingBytes: full.peak.waitingBytes,
    fillMs: Math.round(full.fillMs),
    drainMs: Math.round(drainMs),
    answers,
    after,
    afterSecond,
    gaugesAfter,
  };
}

// One incident under one policy: a fresh simulated fleet and a fresh router process,
// the incident played on the fleet while the seeded clients send through the router,
// then every request waited for (bounded) and the figures measured.
import type { ChildRegistry } from '../tools/children.js';
import { openLoopAgent, tickUntil } from '../tools/open-loop.js';
import { startRouter } from '../tools/router-process.js';
import { type SimInfo, startSim } from '../tools/sim-process.js';
import { DEPLOYMENTS, SLOT_FLEET, ZONES } from './fleet.js';
import { measure } from './measure.js';
import { merge } from './policies.js';
import type { Arrival } from './schedule.js';
import { SdkClients } from './sdk-client.js';
import { fleetState, Timeline } from './timeline.js';
import type { Incident, PolicyResult, PolicySpec, RouterEvent } from './types.js';

/** After the last request is sent, how long the clients' retries may still run. */
const DRAIN_MS = 20_000;
/** Router log lines kept as the run's events, and at most how many. */
const EVENT_MESSAGES = new Set(['region ejected', 'routing mode', 'region state', 'region cooling down']);
const MAX_EVENTS = 60;

export interface RunSpec {
  readonly incident: Incident;
  readonly policy: PolicySpec;
  readonly schedule: readonly Arrival[];
  readonly seed: number;
  readonly scale: number;
}

/** The fleet's keys, then the policy's on top (policies.ts policiesOf has merged them). */
function routerConfig(policy: PolicySpec, sim: SimInfo): Record<string, unknown> {
  const base = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    telemetry: { url: sim.telemetryUrl },
    log: { level: 'info' },
  };
  return {
    ...merge(base, policy.config),
    zones: ZONES,
    backends: sim.backends,
    deployments: DEPLOYMENTS.map(({ weight: _, ...d }) => d),
  };
}

/** What the router says about regions and modes, for the global deployments only (the rest repeat it). */
function describe(line: Record<string, unknown>): string | null {
  const msg = line.msg as string;
  if (!EVENT_MESSAGES.has(msg)) return null;
  const dep = line.deployment as string | undefined;
  if (dep !== undefined && dep !== 'chat-global') return null;
  switch (msg) {
    case 'region ejected':
      return `${line.model} ejected in ${line.region} (${line.reason})`;
    case 'routing mode':
      return `chat-global ${line.mode}: ${line.reason}`;
    case 'region state':
      return `chat-global ${line.region} ${line.state}`;
    default:
      return `${line.model} ${line.region} cooling down (${line.reason})`;
  }
}

export async function runOne(spec: RunSpec, reg: ChildRegistry): Promise<PolicyResult> {
  const { incident, policy, scale } = spec;
  const sim = await startSim(reg, (incident.fleet ?? SLOT_FLEET).simOptions());
  // Every deployment planned in normal mode before the clock starts.
  const router = await startRouter(reg, {
    name: `router (${incident.name}, ${policy.name})`,
    config: routerConfig(policy, sim),
    ready: 'normal plans',
  });
  const events: RouterEvent[] = [];
  let t0 = Number.POSITIVE_INFINITY;
  router.child.onJson((line) => {
    const what = describe(line);
    if (what === null || events.length >= MAX_EVENTS) return;
    const tS = (performance.now() - t0) / 1000 / scale;
    if (tS >= 0) events.push({ tS: Math.round(tS * 100) / 100, what });
  });
  const timeline = new Timeline(sim.controlUrl, incident, scale);
  await timeline.prepare();

  const agent = openLoopAgent();
  const clients = new SdkClients(
    agent,
    router.url,
    incident.client,
    spec.seed,
    () => performance.now() - t0,
    policy.backlogPriority ?? null,
  );
  // Quota windows are aligned on the wall clock: start the incident's clock on one's edge.
  if (incident.alignMs !== undefined) {
    const align = incident.alignMs;
    await new Promise((r) => setTimeout(r, align - (Date.now() % align)));
  }
  t0 = performance.now();
  timeline.start(t0);
  let next = 0;
  const schedule = spec.schedule;
  await tickUntil(() => {
    const elapsed = performance.now() - t0;
    while (next < schedule.length && (schedule[next] as Arrival).tMs <= elapsed)
      clients.send(schedule[next++] as Arrival);
    return next >= schedule.length;
  });
  // The incident plays to its end even when the last request went out a little earlier.
  const endMs = incident.seconds * 1000 * scale;
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + endMs - performance.now())));
  await clients.drain(DRAIN_MS);
  await timeline.stop();
  const final = await fleetState(sim.controlUrl);
  await agent.destroy();

  reg.checkNoCrash();
  await reg.stop(router.child);
  await reg.stop(sim.child);
  if (timeline.errors.length > 0)
    throw new Error(`simulator control failed: ${timeline.errors.slice(0, 3).join('; ')}`);
  return measure({
    incident,
    policy,
    scale,
    records: clients.records,
    routerRejectionsMs: clients.routerRejectionsMs,
    samples: timeline.samples,
    final,
    routerEvents: events,
  });
}

// Runs incidents under every policy, one run at a time (they share two cores), and
// collects the results. Each incident's requests are drawn once, from the seed and the
// incident's index, and replayed unchanged for every policy.
import type { ChildRegistry } from '../tools/children.js';
import { machineInfo } from '../tools/machine.js';
import { REGION_NAMES, SLOT_FLEET } from './fleet.js';
import { INCIDENTS } from './incidents/index.js';
import { merge, ROUND_ROBIN, SWITCHYARD, TRUST_THE_TABLE } from './policies.js';
import { runOne } from './run-one.js';
import { buildSchedule } from './schedule.js';
import type { Incident, IncidentName, IncidentResult, PolicySpec, ReplayResults } from './types.js';

export interface ReplayOptions {
  /** Incidents to run; all when null. */
  readonly only: readonly IncidentName[] | null;
  /** Policy names to run; all when null. */
  readonly policies: readonly string[] | null;
  readonly seed: number;
  /** Wall seconds per incident second (1 = as documented). */
  readonly scale: number;
  readonly command: string;
  readonly quiet: boolean;
}

/** Every policy of an incident, each with the keys that describe its fleet under its own. */
export function policiesOf(incident: Incident): PolicySpec[] {
  const fleet = (incident.fleet ?? SLOT_FLEET).routerConfig;
  return [
    incident.switchyard ?? SWITCHYARD,
    ROUND_ROBIN,
    TRUST_THE_TABLE,
    ...incident.ablations,
    ...(incident.variants ?? []),
  ].map((p) => (Object.keys(fleet).length === 0 ? p : { ...p, config: merge(fleet, p.config) }));
}

/** About how long a replay takes, in seconds: the incidents plus start-up and drain per run. */
export function estimateSeconds(opts: Pick<ReplayOptions, 'only' | 'policies' | 'scale'>): number {
  let s = 0;
  for (const incident of selected(opts.only)) {
    // Start-up and drain, and on average half a quota window waited for when the clock is aligned to one.
    const overhead = 4 + (incident.alignMs ?? 0) / 2000;
    s += chosen(incident, opts.policies).length * (incident.seconds * opts.scale + overhead);
  }
  return Math.ceil(s);
}

/** A time to answer for the log; 'none' when nothing was served. */
function seconds(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? 'none' : `${(ms / 1000).toFixed(2)} s`;
}

function selected(only: readonly IncidentName[] | null): Incident[] {
  return INCIDENTS.filter((i) => only === null || only.includes(i.name));
}

function chosen(incident: Incident, names: readonly string[] | null): PolicySpec[] {
  return policiesOf(incident).filter((p) => names === null || names.includes(p.name));
}

export async function runReplay(
  opts: ReplayOptions,
  reg: ChildRegistry,
  log: (msg: string) => void,
): Promise<ReplayResults> {
  const startedAt = new Date().toISOString();
  const incidents: IncidentResult[] = [];
  for (const incident of selected(opts.only)) {
    const index = INCIDENTS.indexOf(incident);
    const fleet = incident.fleet ?? SLOT_FLEET;
    const rate = incident.load * fleet.capacityRate();
    const seed = opts.seed + index;
    const schedule = buildSchedule(incident, rate, seed, opts.scale);
    const policies = [];
    for (const policy of chosen(incident, opts.policies)) {
      const r = await runOne({ incident, policy, schedule, seed, scale: opts.scale }, reg);
      log(
        `${incident.name} / ${policy.name}: failed ${r.failed} of ${r.sent} (${(100 * r.failedRate).toFixed(2)}%; 429 ${r.status429}, 400 ${r.status400}, 5xx ${r.status5xx}), ` +
          `${r.sentBacklog ? `failed interactive ${r.failedInteractive}, backlog ${r.failedBacklog} of ${r.sentBacklog}; ` : ''}` +
          `served in p50 ${seconds(r.timeToAnswerP50Ms)}, p99 ${seconds(r.timeToAnswerP99Ms)}` +
          `${r.sentBacklog ? ` (interactive ${seconds(r.interactiveTimeToAnswerP50Ms)}, ${seconds(r.interactiveTimeToAnswerP99Ms)})` : ''}, ` +
          `amplification ${r.retryAmplification}, recovery ${r.recoverySeconds ?? 'none'} s, boundary violations ${r.boundaryViolations}`,
      );
      policies.push(r);
    }
    incidents.push({
      name: incident.name,
      title: incident.title,
      seconds: incident.seconds,
      fault: incident.fault,
      load: incident.load,
      ratePerSecond: Math.round(rate * 10) / 10,
      ...(incident.fleet === undefined ? {} : { fleet: incident.fleet.label }),
      client: incident.client,
      events: incident.events.map((e) => ({ atS: e.atS, label: e.label })),
      regions: REGION_NAMES,
      policies,
    });
  }
  return {
    command: opts.command,
    machine: machineInfo(),
    quiet: opts.quiet,
    startedAt,
    finishedAt: new Date().toISOString(),
    seed: opts.seed,
    scale: opts.scale,
    incidents,
  };
}

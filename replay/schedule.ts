// The clients' requests, decided before a run starts: when each is sent and for which
// deployment. Open loop (requests go out on time whether or not earlier ones were
// answered) and seeded, so every policy of an incident gets exactly the same requests.
// Poisson arrivals; a surge is drawn by thinning (arrivals at the peak rate, each kept
// with probability rate(t) / peak), so the schedule stays one seeded stream. Which of a
// surge's requests are its backlog (the extra load) is drawn from a second stream, so
// marking them changes nothing of the first. So are the requests' sizes, when the
// incident's fleet gives them (quota-fleet.ts), and a tenant's burst (arrivals and
// sizes from streams of its own, merged in by time and counted as the backlog).
import { exponential, type Random, seededRandom } from '../src/sim/loop-model/random.js';
import { type RequestSize, requestSizes } from '../src/sim/request-sizes.js';
import { DEPLOYMENTS } from './fleet.js';
import type { Incident, TenantBurst } from './types.js';

export interface Arrival {
  /** Milliseconds after the load starts. */
  readonly tMs: number;
  readonly deployment: string;
  /** Extra load, not the usual traffic: one of a surge's extra requests (the backlog released), or a tenant's burst. */
  readonly backlog: boolean;
  /** Its prompt and max_tokens; absent: the usual short chat (sdk-client.ts). */
  readonly size?: RequestSize;
}

/** A guard against a mistyped rate: no run sends more than this. */
export const MAX_ARRIVALS = 100_000;

/** Mixed into the seed of the backlog's stream, to keep it apart from the schedule's. */
const BACKLOG_STREAM = 0x6a09e667;
/** The same for the requests' sizes, and for each tenant's burst (plus its index). */
const SIZE_STREAM = 0x3c6ef372;
const BURST_STREAM = 0x510e527f;

/** Step for finding a surge's peak. */
const PEAK_PROBE_S = 0.01;

function peakSurge(incident: Incident): number {
  const surge = incident.surge;
  if (surge === undefined) return 1;
  let peak = 0;
  for (let t = 0; t < incident.seconds; t += PEAK_PROBE_S) peak = Math.max(peak, surge(t));
  return peak;
}

function pickDeployment(random: Random, mix: ReadonlyArray<readonly [string, number]>, total: number): string {
  let x = random() * total;
  for (const [name, weight] of mix) {
    x -= weight;
    if (x < 0) return name;
  }
  return (mix[mix.length - 1] as readonly [string, number])[0];
}

/**
 * The requests of one run. `scale` shrinks the incident's clock (1 = as documented) but
 * not the rate: a shortened run sends fewer requests, at the same pace.
 */
export function buildSchedule(incident: Incident, ratePerSecond: number, seed: number, scale = 1): Arrival[] {
  const random = seededRandom(seed);
  const backlogRandom = seededRandom(seed ^ BACKLOG_STREAM);
  const sizes =
    incident.fleet?.sizes === undefined ? null : requestSizes({ ...incident.fleet.sizes, seed: seed ^ SIZE_STREAM });
  const mix: ReadonlyArray<readonly [string, number]> =
    incident.mix === undefined
      ? DEPLOYMENTS.map((d) => [d.name, d.weight])
      : Object.entries(incident.mix).filter(([, w]) => w > 0);
  const total = mix.reduce((s, [, w]) => s + w, 0);
  const peak = peakSurge(incident);
  const meanGapMs = 1000 / (ratePerSecond * peak);
  const endMs = incident.seconds * 1000 * scale;
  const out: Arrival[] = [];
  for (let t = exponential(random, meanGapMs); t < endMs; t += exponential(random, meanGapMs)) {
    const tS = t / 1000 / scale;
    const factor = incident.surge?.(tS) ?? 1;
    const keep = random() < factor / peak;
    const deployment = pickDeployment(random, mix, total);
    if (!keep) continue;
    // During a surge of factor f, (f - 1) of every f requests are the backlog's.
    const backlog = factor > 1 && backlogRandom() < (factor - 1) / factor;
    out.push(sizes === null ? { tMs: t, deployment, backlog } : { tMs: t, deployment, backlog, size: sizes() });
    if (out.length > MAX_ARRIVALS) throw new Error(`${incident.name}: more than ${MAX_ARRIVALS} requests`);
  }
  const bursts = (incident.bursts ?? []).flatMap((b, i) => burstArrivals(b, seed ^ (BURST_STREAM + i), scale));
  const all = bursts.length === 0 ? out : [...out, ...bursts].sort((a, b) => a.tMs - b.tMs);
  return holdPentUp(incident, all, scale);
}

/** A tenant's burst: arrivals of its deployment over its interval (Poisson or evenly spaced), each of its own size. */
function burstArrivals(b: TenantBurst, seed: number, scale: number): Arrival[] {
  const random = seededRandom(seed);
  const sizes = requestSizes({ ...b.sizes, seed: seed ^ SIZE_STREAM });
  const meanGapMs = 1000 / b.ratePerSecond;
  const out: Arrival[] = [];
  // As the schedule: a shorter time scale shortens the burst, not its pace.
  const endMs = b.toS * 1000 * scale;
  const gap = (): number => (b.spacing === 'even' ? meanGapMs : exponential(random, meanGapMs));
  const first = b.fromS * 1000 * scale + (b.spacing === 'even' ? 0 : gap());
  for (let t = first; t < endMs; t += gap()) {
    out.push({ tMs: t, deployment: b.deployment, backlog: true, size: sizes() });
  }
  return out;
}

/** The pent-up deployment's requests made while its region was out go out together at the release. */
function holdPentUp(incident: Incident, arrivals: Arrival[], scale: number): Arrival[] {
  const p = incident.pentUp;
  if (p === undefined) return arrivals;
  const from = p.fromS * 1000 * scale;
  const release = p.releaseS * 1000 * scale;
  const held = arrivals.filter((a) => a.deployment === p.deployment && a.tMs >= from && a.tMs < release);
  const step = held.length === 0 ? 0 : (p.spreadS * 1000 * scale) / held.length;
  const moved = new Map(held.map((a, i) => [a, { ...a, tMs: release + i * step }]));
  return arrivals.map((a) => moved.get(a) ?? a).sort((a, b) => a.tMs - b.tMs);
}

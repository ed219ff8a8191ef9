// Clients that go away mid-stream. Opens N SSE streams through a target, destroys each
// client socket as soon as its first chunk arrives, and then, after a short deadline
// (well before the streams' natural end at 20 x 25 ms), counts what the clients left
// behind: streams the backends are still generating, and upstream connections the
// proxy process still holds. A second look after the streams would have ended shows
// whether those connections are ever given back.
import { request, type ClientRequest } from 'node:http';
import { establishedTo } from './proc-stats.js';
import { sleep } from '../../tools/wait.js';
import { type FleetInfo, portsOf } from './fleets.js';
import type { Target } from './targets.js';
import { HEADERS } from './workloads.js';

export interface DropResult {
  readonly target: string;
  readonly streams: number;
  /** Streams whose first chunk arrived before the client dropped them. */
  readonly dropped: number;
  /** Streams that failed or never sent a chunk within the time limit. */
  readonly failed: number;
  readonly deadlineMs: number;
  /** Backend streams still being generated at the deadline (sim control: inFlight). */
  readonly backendInFlightAtDeadline: number;
  /** ESTABLISHED connections from the proxy process to the backends at the deadline. */
  readonly upstreamConnsAtDeadline: number | null;
  /** The same, `laterMs` after the deadline (every stream would have ended by then). */
  readonly upstreamConnsLater: number | null;
  readonly laterMs: number;
  /** Backend outcomes during the phase: streams generated to the end for nobody, and streams aborted. */
  readonly backendServed: number;
  readonly backendAborted: number;
}

interface ControlRegion {
  region: string;
  inFlight: number;
  stats: { served: number; aborted: number };
}

/** Summed over the fleet's regions (sim `GET /control`). */
export async function backendFigures(fleet: FleetInfo): Promise<{ inFlight: number; served: number; aborted: number }> {
  const res = await fetch(fleet.controlUrl, { signal: AbortSignal.timeout(3000) });
  const body = (await res.json()) as { regions: ControlRegion[] };
  let inFlight = 0;
  let served = 0;
  let aborted = 0;
  for (const r of body.regions) {
    inFlight += r.inFlight;
    served += r.stats.served;
    aborted += r.stats.aborted;
  }
  return { inFlight, served, aborted };
}

function established(target: Target, fleet: FleetInfo): number | null {
  if (target.child === null) return null;
  return establishedTo(target.child.pid, portsOf(fleet));
}

/** Opens one stream and destroys it at its first body chunk; resolves true if it got that far. */
function openAndDrop(url: URL, body: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let req: ClientRequest | null = null;
    const timer = setTimeout(() => {
      req?.destroy();
      resolve(false);
    }, timeoutMs);
    req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        res.once('data', () => {
          clearTimeout(timer);
          req?.destroy();
          resolve(res.statusCode === 200);
        });
        res.once('end', () => {
          clearTimeout(timer);
          resolve(false);
        });
      },
    );
    req.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    req.end(body);
  });
}

export async function dropPhase(
  target: Target,
  fleet: FleetInfo,
  path: string,
  body: string,
  streams: number,
  deadlineMs: number,
  laterMs: number,
): Promise<DropResult> {
  const before = await backendFigures(fleet);
  const url = new URL(path, target.origin);
  const outcomes = await Promise.all(Array.from({ length: streams }, () => openAndDrop(url, body, 5000)));
  const dropped = outcomes.filter(Boolean).length;
  await sleep(deadlineMs);
  const atDeadline = await backendFigures(fleet);
  const connsAtDeadline = established(target, fleet);
  await sleep(laterMs);
  const later = await backendFigures(fleet);
  const connsLater = established(target, fleet);
  return {
    target: target.name,
    streams,
    dropped,
    failed: streams - dropped,
    deadlineMs,
    backendInFlightAtDeadline: atDeadline.inFlight,
    upstreamConnsAtDeadline: connsAtDeadline,
    upstreamConnsLater: connsLater,
    laterMs,
    backendServed: later.served - before.served,
    backendAborted: later.aborted - before.aborted,
  };
}

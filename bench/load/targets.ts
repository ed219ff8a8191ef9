// The things a workload is pointed at: a backend directly, or a proxy process in front
// of a fleet's backends. Every proxy is a child process of its own (its pid is what
// /proc is read for); `direct` has none and is measured by the backend's figures.
import type { Child, ChildRegistry } from '../../tools/children.js';
import { script } from '../../tools/paths.js';
import { startRouter } from '../../tools/router-process.js';
import { FLEETS, type FleetInfo, MODEL } from './fleets.js';

/**
 * http-proxy: as its README shows it (no agent: a connection per request); http-proxy-ka:
 * with a keep-alive agent; undici-proxy: pool.request + stream.pipeline; undici-stream:
 * the lean one, pool.stream writing straight into the response.
 */
export type TargetName = 'direct' | 'http-proxy' | 'http-proxy-ka' | 'undici-proxy' | 'undici-stream' | 'switchyard';
export const TARGET_ORDER: readonly TargetName[] = [
  'direct',
  'http-proxy',
  'http-proxy-ka',
  'undici-proxy',
  'undici-stream',
  'switchyard',
];
export type PeerName = 'http-proxy' | 'http-proxy-ka' | 'undici-proxy' | 'undici-stream';

/** The reference of the streaming goals: the leanest Node proxy on the same undici. */
export const LEAN: TargetName = 'undici-stream';

export interface Target {
  readonly name: TargetName;
  /** Shown in logs: "switchyard (telemetry every 100 ms)". */
  readonly label: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** The proxy process, null for direct. */
  readonly child: Child | null;
  /** switchyard only: its admin listener. */
  readonly adminOrigin: string | null;
  /**
   * Answers every request with `Connection: close` (http-proxy without an agent passes
   * the backend's on). autocannon mis-times such connections: it queues the request it
   * writes into the closing socket and the one it sends after reconnecting, so every
   * later response is timed from an ever older start. Its latencies are dropped.
   */
  readonly closesClientConnections: boolean;
}

export function directTarget(fleet: FleetInfo): Target {
  const first = fleet.backends[0];
  if (first === undefined) throw new Error(`fleet ${fleet.key} has no backend`);
  return {
    name: 'direct',
    label: `direct (${first.region})`,
    origin: first.url,
    child: null,
    adminOrigin: null,
    closesClientConnections: false,
  };
}

/**
 * A peer in front of one fleet's backends (round robin over them), or of several
 * (undici-stream only): then each backend is passed as DEPLOYMENT=URL and the peer
 * routes by the deployment in the request's path.
 */
export async function startPeer(
  reg: ChildRegistry,
  name: PeerName,
  fleets: readonly FleetInfo[],
  nodeArgs: readonly string[] = [],
): Promise<Target> {
  const args = {
    'http-proxy': [script('bench/peers/http-proxy-rr')],
    'http-proxy-ka': [script('bench/peers/http-proxy-rr'), '--keepalive'],
    'undici-proxy': [script('bench/peers/undici-proxy')],
    'undici-stream': [script('bench/peers/undici-stream')],
  }[name];
  if (fleets.length > 1 && name !== 'undici-stream') throw new Error(`${name} serves one fleet`);
  const backends = fleets.flatMap((f) =>
    f.backends.map((b) => (fleets.length === 1 ? b.url : `${FLEETS[f.key].deployment}=${b.url}`)),
  );
  const child = reg.spawn(`${name} (${keysOf(fleets)})`, [...args, ...backends], { nodeArgs });
  const line = await child.waitForJson((o) => o.msg === 'listening' && typeof o.port === 'number', 10_000);
  return {
    name,
    label: name,
    origin: `http://127.0.0.1:${String(line.port)}`,
    child,
    adminOrigin: null,
    closesClientConnections: name === 'http-proxy',
  };
}

function keysOf(fleets: readonly FleetInfo[]): string {
  return fleets.map((f) => f.key).join('+');
}

/**
 * switchyard as users run it (tools/router-process.ts), log level warn, with a data zone
 * and a deployment per fleet (several fleets must share one telemetry URL, see
 * CARRY_FLEETS); ready once /readyz answers and a first telemetry poll succeeded.
 * `build`: another build's CLI and node flags (bench:profile).
 */
export async function startSwitchyard(
  reg: ChildRegistry,
  fleets: readonly FleetInfo[],
  intervalMs: number,
  build: { cli?: string; nodeArgs?: readonly string[] } = {},
): Promise<Target> {
  const telemetryUrl = fleets[0]?.telemetryUrl;
  if (telemetryUrl === undefined || fleets.some((f) => f.telemetryUrl !== telemetryUrl)) {
    throw new Error(`switchyard polls one telemetry URL: fleets ${keysOf(fleets)} have several`);
  }
  const label = `switchyard (${keysOf(fleets)}, telemetry every ${intervalMs} ms)`;
  const router = await startRouter(reg, {
    ...build,
    name: label,
    config: {
      zones: Object.fromEntries(fleets.map((f) => [FLEETS[f.key].zone, f.backends.map((b) => b.region)])),
      backends: fleets.flatMap((f) => f.backends.map((b) => ({ region: b.region, url: b.url }))),
      deployments: fleets.map((f) => ({
        name: FLEETS[f.key].deployment,
        model: MODEL,
        type: 'datazone',
        zone: FLEETS[f.key].zone,
      })),
      telemetry: { url: telemetryUrl, intervalMs },
      shutdown: { drainMs: 1000 },
      log: { level: 'warn' },
    },
  });
  return {
    name: 'switchyard',
    label,
    origin: router.url,
    child: router.child,
    adminOrigin: router.adminUrl,
    closesClientConnections: false,
  };
}

/** A switchyard counter from /metrics (summed over labels); null if absent. */
export async function switchyardCounter(target: Target, name: string): Promise<number | null> {
  if (target.adminOrigin === null) return null;
  try {
    const res = await fetch(`${target.adminOrigin}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    let total: number | null = null;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
        const v = Number(line.slice(line.lastIndexOf(' ') + 1));
        if (Number.isFinite(v)) total = (total ?? 0) + v;
      }
    }
    return total;
  } catch {
    return null;
  }
}

// The things a workload is pointed at: a backend directly, or a proxy process in front
// of a fleet's backends. Every proxy is a child process of its own (its pid is what
// /proc is read for); `direct` has none and is measured by the backend's figures.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Child, ChildRegistry } from './children.js';
import { FLEETS, MODEL, type FleetInfo } from './fleets.js';
import { HTTP_PROXY_PEER, SWITCHYARD_CLI, UNDICI_PEER, UNDICI_STREAM_PEER } from './paths.js';

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
export async function startPeer(reg: ChildRegistry, name: PeerName, fleets: readonly FleetInfo[]): Promise<Target> {
  const args = {
    'http-proxy': [HTTP_PROXY_PEER],
    'http-proxy-ka': [HTTP_PROXY_PEER, '--keepalive'],
    'undici-proxy': [UNDICI_PEER],
    'undici-stream': [UNDICI_STREAM_PEER],
  }[name];
  if (fleets.length > 1 && name !== 'undici-stream') throw new Error(`${name} serves one fleet`);
  const backends = fleets.flatMap((f) =>
    f.backends.map((b) => (fleets.length === 1 ? b.url : `${FLEETS[f.key].deployment}=${b.url}`)),
  );
  const child = reg.spawn(`${name} (${keysOf(fleets)})`, [...args, ...backends]);
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

/** A free port on 127.0.0.1 (bound and released; the config needs it before switchyard starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function keysOf(fleets: readonly FleetInfo[]): string {
  return fleets.map((f) => f.key).join('+');
}

let configDir: string | null = null;

function writeConfig(name: string, config: object): string {
  configDir ??= mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const path = join(configDir, `${name}.yaml`);
  writeFileSync(path, stringify(config));
  return path;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

async function pollUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${what}: not reached within ${timeoutMs} ms${last === null ? '' : ` (last error: ${String(last)})`}`,
  );
}

/**
 * switchyard as users run it: `node dist/src/cli.js start --config FILE`, log level warn,
 * with a data zone and a deployment per fleet (several fleets must share one telemetry
 * URL, see CARRY_FLEETS). Its "listening" lines are info-level and so silenced at warn:
 * the ports are chosen here instead, and readiness is GET /readyz, then a first
 * successful telemetry poll.
 */
export async function startSwitchyard(
  reg: ChildRegistry,
  fleets: readonly FleetInfo[],
  intervalMs: number,
): Promise<Target> {
  const telemetryUrl = fleets[0]?.telemetryUrl;
  if (telemetryUrl === undefined || fleets.some((f) => f.telemetryUrl !== telemetryUrl)) {
    throw new Error(`switchyard polls one telemetry URL: fleets ${keysOf(fleets)} have several`);
  }
  for (let attempt = 1; ; attempt++) {
    const [port, adminPort] = [await freePort(), await freePort()];
    const config = {
      listen: { host: '127.0.0.1', port },
      admin: { host: '127.0.0.1', port: adminPort },
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
    };
    const file = writeConfig(`switchyard-${keysOf(fleets)}-${intervalMs}ms-${port}`, config);
    const label = `switchyard (${keysOf(fleets)}, telemetry every ${intervalMs} ms)`;
    const child = reg.spawn(label, [SWITCHYARD_CLI, 'start', '--config', file]);
    const admin = `http://127.0.0.1:${adminPort}`;
    try {
      await pollUntil(`${label} /readyz`, 10_000, async () => {
        if (!child.running) throw new Error(`exited ${JSON.stringify(child.exitInfo)}\n${child.lastLines()}`);
        return (await getJson(`${admin}/readyz`)).status === 200;
      });
      await pollUntil(`${label} first telemetry poll`, 5000, async () => {
        const cap = (await getJson(`${admin}/capacity`)).body as { telemetry?: { status?: string } };
        return cap.telemetry?.status === 'ok';
      });
      return {
        name: 'switchyard',
        label,
        origin: `http://127.0.0.1:${port}`,
        child,
        adminOrigin: admin,
        closesClientConnections: false,
      };
    } catch (err) {
      await reg.stop(child);
      // A port taken between freePort() and switchyard's listen: try once more.
      if (attempt >= 2 || !/EADDRINUSE|could not listen/.test(`${String(err)}${child.lastLines()}`)) {
        throw new Error(`${String(err)}\n  config: ${file}\n${child.lastLines()}`);
      }
    }
  }
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

// Where the child processes' entry points are, from compiled output (dist/) or, under
// tsx, from source; and how to start each: the simulated fleet (bench/fleet's child)
// and a router from the CLI with port 0, found from its "listening" log lines.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { Child, ChildRegistry } from '../bench/load/children.js';
import { simOptions } from './fleet.js';

const fromSource = import.meta.url.endsWith('.ts');
const ext = fromSource ? 'ts' : 'js';
const SIM_CHILD = fileURLToPath(new URL(`../bench/fleet/sim-child.${ext}`, import.meta.url));
const CLI = fileURLToPath(new URL(`../src/cli.${ext}`, import.meta.url));
const NODE_ARGS = fromSource ? ['--import', 'tsx'] : [];
const START_TIMEOUT_MS = 15_000;

export interface SimChild {
  readonly child: Child;
  readonly backends: Array<{ region: string; url: string }>;
  readonly telemetryUrl: string;
  readonly controlUrl: string;
}

export async function startSim(reg: ChildRegistry): Promise<SimChild> {
  const child = reg.spawn('sim', [...NODE_ARGS, SIM_CHILD, JSON.stringify(simOptions())]);
  const ready = (await child.waitForJson((o) => o.msg === 'fleet ready', START_TIMEOUT_MS)) as unknown as Omit<
    SimChild,
    'child'
  >;
  return { child, backends: ready.backends, telemetryUrl: ready.telemetryUrl, controlUrl: ready.controlUrl };
}

export interface RouterChild {
  readonly child: Child;
  readonly url: string;
  readonly adminUrl: string;
}

export async function startRouter(
  reg: ChildRegistry,
  config: Record<string, unknown>,
  workDir: string,
  name: string,
): Promise<RouterChild> {
  const file = path.join(workDir, `${name.replace(/[^a-z0-9-]+/gi, '-')}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = reg.spawn('router', [...NODE_ARGS, CLI, 'start', '--config', file]);
  const listening = (listener: string) =>
    child.waitForJson((o) => o.msg === 'listening' && o.listener === listener, START_TIMEOUT_MS);
  const [data, admin] = await Promise.all([listening('data'), listening('admin')]);
  return { child, url: `http://127.0.0.1:${data.port}`, adminUrl: `http://127.0.0.1:${admin.port}` };
}

/** Until the router has polled telemetry and planned every deployment in normal mode. */
export async function waitForNormalPlans(adminUrl: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await request(`${adminUrl}/capacity`, { headersTimeout: 2000, bodyTimeout: 2000 });
      const doc = (await res.body.json()) as { telemetry?: { status?: string }; deployments?: Array<{ mode: string }> };
      if (doc.telemetry?.status === 'ok' && (doc.deployments ?? []).every((d) => d.mode === 'normal')) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`router at ${adminUrl}: no normal plans within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

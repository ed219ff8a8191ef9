// switchyard as users run it: `node dist/src/cli.js start --config FILE` in a child
// process, with the given config written to a temporary directory. Both listeners take
// port 0 unless the config says otherwise; the router logs a "listening" line for each at
// any log level, which is how its ports are found. Ready means, by default, that /readyz
// answers 200 and /capacity shows a first successful telemetry poll.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Child, ChildRegistry } from './children.js';
import { script } from './paths.js';
import { GiveUp, waitUntil } from './wait.js';

export const SWITCHYARD_CLI = script('src/cli');
const LISTEN_TIMEOUT_MS = 15_000;
const READY_TIMEOUT_MS = 10_000;

/**
 * 'listening': both listeners are up. 'telemetry': also ready, and a telemetry poll
 * succeeded. 'normal plans': also every deployment planned in normal mode.
 */
export type Readiness = 'listening' | 'telemetry' | 'normal plans';

export interface RouterSpec {
  /** The child's name in logs and errors. */
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly ready?: Readiness;
  /** Another build's CLI (its dist/src/cli.js), for before/after figures. */
  readonly cli?: string;
  /** Node flags for the router process (--cpu-prof, ...). */
  readonly nodeArgs?: readonly string[];
}

export interface RouterProcess {
  readonly child: Child;
  /** http://127.0.0.1:PORT of the data listener. */
  readonly url: string;
  readonly adminUrl: string;
  readonly configFile: string;
}

let configDir: string | null = null;
let configs = 0;

function writeConfig(name: string, config: Record<string, unknown>): string {
  if (configDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-run-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    configDir = dir;
  }
  const file = join(configDir, `${++configs}-${name.replace(/[^a-z0-9-]+/gi, '-')}.json`);
  const anyPort = { host: '127.0.0.1', port: 0 };
  writeFileSync(file, JSON.stringify({ listen: anyPort, admin: anyPort, ...config }, null, 2));
  return file;
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
  return { status: res.statusCode, body: await res.body.json().catch(() => null) };
}

async function isReady(child: Child, adminUrl: string, normalPlans: boolean): Promise<boolean> {
  if (!child.running) throw new GiveUp(`exited ${JSON.stringify(child.exitInfo)}`);
  if ((await getJson(`${adminUrl}/readyz`)).status !== 200) return false;
  const doc = (await getJson(`${adminUrl}/capacity`)).body as {
    telemetry?: { status?: string };
    deployments?: Array<{ mode: string }>;
  } | null;
  if (doc?.telemetry?.status !== 'ok') return false;
  return !normalPlans || (doc.deployments ?? []).every((d) => d.mode === 'normal');
}

export async function startRouter(reg: ChildRegistry, spec: RouterSpec): Promise<RouterProcess> {
  const configFile = writeConfig(spec.name, spec.config);
  const child = reg.spawn(spec.name, [spec.cli ?? SWITCHYARD_CLI, 'start', '--config', configFile], {
    nodeArgs: spec.nodeArgs ?? [],
  });
  const listening = (listener: string) =>
    child.waitForJson((o) => o.msg === 'listening' && o.listener === listener, LISTEN_TIMEOUT_MS);
  const [data, admin] = await Promise.all([listening('data'), listening('admin')]);
  const router = {
    child,
    url: `http://127.0.0.1:${String(data.port)}`,
    adminUrl: `http://127.0.0.1:${String(admin.port)}`,
    configFile,
  };
  const ready = spec.ready ?? 'telemetry';
  if (ready === 'listening') return router;
  try {
    await waitUntil(
      `${spec.name}: /readyz and a first telemetry poll${ready === 'normal plans' ? ', every deployment in normal mode' : ''}`,
      () => isReady(child, router.adminUrl, ready === 'normal plans'),
      { timeoutMs: READY_TIMEOUT_MS },
    );
  } catch (err) {
    await reg.stop(child);
    throw new Error(`${(err as Error).message}\n  config: ${configFile}\n${child.lastLines()}`);
  }
  return router;
}

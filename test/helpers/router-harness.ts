// Starts the real router on 127.0.0.1 port 0 from a plain config object, with its log
// lines captured for assertions.
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/validate.js';
import { createLogger } from '../../src/logger/logger.js';
import type { CapacityDocument, CapacityDeployment } from '../../src/admin/capacity-document.js';
import { Router } from '../../src/router/router.js';

export interface RunningRouter {
  readonly router: Router;
  readonly url: string;
  readonly adminUrl: string;
  readonly logs: Array<Record<string, unknown>>;
  capacity(): Promise<CapacityDoc>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

// The document's own type: a field the router adds is one the tests can read.
export type { CapacityDeployment, CapacityRegion } from '../../src/admin/capacity-document.js';
export type CapacityDoc = CapacityDocument;

export function baseConfig(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    ...overrides,
  };
}

/** A stream a logger can write to, and the JSON lines written to it. */
export function logSink(): { logs: Array<Record<string, unknown>>; sink: Writable } {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logs, sink };
}

export async function startRouter(rawConfig: Record<string, unknown>): Promise<RunningRouter> {
  const checked = validateConfig(rawConfig);
  if (!checked.ok) throw new Error(`test config invalid:\n${checked.errors.join('\n')}`);
  const { logs, sink } = logSink();
  const router = new Router({ config: checked.config, logger: createLogger(checked.config.log.level, sink) });
  const { data, admin } = await router.start();
  const url = `http://127.0.0.1:${data.port}`;
  const adminUrl = `http://127.0.0.1:${admin.port}`;
  return {
    router,
    url,
    adminUrl,
    logs,
    capacity: async () => (await (await fetch(`${adminUrl}/capacity`)).json()) as CapacityDoc,
    metrics: async () => (await fetch(`${adminUrl}/metrics`)).text(),
    stop: () => router.stop(),
  };
}

export function deploymentOf(doc: CapacityDoc, name: string): CapacityDeployment {
  const d = doc.deployments.find((x) => x.name === name);
  if (d === undefined) throw new Error(`no deployment ${name} on /capacity`);
  return d;
}

export function shareMap(d: CapacityDeployment): Record<string, number> {
  return Object.fromEntries(d.regions.map((r) => [r.region, r.share]));
}

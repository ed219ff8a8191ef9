// `switchyard health [--config FILE | --admin URL] [--ready]`: exit 0 when the router's
// /healthz (or /readyz) answers 200, else 1. It is the container health check: it reads
// the admin address from the same config the router runs with, so a non-default admin
// port cannot leave a container "unhealthy" forever.
import { parseArgs } from 'node:util';
import { adminTarget } from './admin-url.js';
import { getAdmin } from './fetch-admin.js';

export const HEALTH_USAGE = `usage: switchyard health [--config FILE | --admin URL] [--ready]
  checks GET /healthz (with --ready: /readyz) on the admin listener; exit 0 when it answers 200, else 1.
  The config defaults to $SWITCHYARD_CONFIG; without either, the admin URL is http://127.0.0.1:8081.`;

const HEALTHY = 0;
const UNHEALTHY = 1;

export async function runHealth(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      admin: { type: 'string' },
      ready: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HEALTH_USAGE}\n`);
    return;
  }
  const timeoutMs = Number(values.timeout ?? 2000);
  const configFile = values.config ?? (process.env.SWITCHYARD_CONFIG || undefined);
  const target = await adminTarget(values.admin, configFile);
  if (!target.ok) {
    process.stderr.write(`switchyard health: ${target.errors.join('\n')}\n`);
    process.exitCode = UNHEALTHY;
    return;
  }
  const path = values.ready ? '/readyz' : '/healthz';
  const answer = await getAdmin(`${target.url}${path}`, Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 2000);
  if (answer.ok && answer.status === 200) {
    process.stdout.write(`${target.url}${path}: 200\n`);
    process.exitCode = HEALTHY;
    return;
  }
  process.stderr.write(`${target.url}${path}: ${answer.ok ? `answered ${answer.status}` : answer.reason}\n`);
  process.exitCode = UNHEALTHY;
}

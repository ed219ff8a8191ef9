// `switchyard capacity [--admin URL | --config FILE] [--watch] [--json]`: what a running
// router is doing now, as a table (or its /capacity JSON), with an exit code scripts can
// test: 0 every deployment normal, 1 conservative somewhere, 2 unreachable.
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { adminTarget } from './admin-url.js';
import { anyConservative, asCapacityDoc, type CapacityDocView } from './capacity-doc.js';
import { renderCapacityTable } from './capacity-table.js';
import { ADMIN_TOKEN_ENV, getAdmin } from './fetch-admin.js';

export const CAPACITY_USAGE = `usage: switchyard capacity [--admin URL | --config FILE] [--watch [--interval MS]] [--json]
  --admin URL      the router's admin listener (default http://127.0.0.1:8081)
  --config FILE    read the admin address from the router's config instead (default $SWITCHYARD_CONFIG)
  --watch          redraw every --interval ms (default 1000) until Ctrl-C
  --json           print the /capacity document itself (one line per snapshot with --watch)
exit code: 0 every deployment normal, 1 conservative somewhere, 2 unreachable (or bad usage)`;

export const EXIT_NORMAL = 0;
export const EXIT_CONSERVATIVE = 1;
export const EXIT_UNREACHABLE = 2;

type Snapshot = { readonly doc: CapacityDocView; readonly raw: unknown } | { readonly error: string };

async function snapshot(adminUrl: string): Promise<Snapshot> {
  const answer = await getAdmin(`${adminUrl}/capacity`);
  if (!answer.ok) return { error: `cannot reach ${adminUrl}: ${answer.reason}` };
  if (answer.status === 401) {
    return { error: `${adminUrl}/capacity answered 401: the router has admin.token set; put it in ${ADMIN_TOKEN_ENV}` };
  }
  if (answer.status !== 200) return { error: `${adminUrl}/capacity answered ${answer.status}` };
  const doc = asCapacityDoc(answer.body);
  if (doc === null) return { error: `${adminUrl}/capacity did not answer a capacity document` };
  return { doc, raw: answer.body };
}

const exitCodeOf = (s: Snapshot): number =>
  'error' in s ? EXIT_UNREACHABLE : anyConservative(s.doc) ? EXIT_CONSERVATIVE : EXIT_NORMAL;

function print(s: Snapshot, adminUrl: string, json: boolean, colour: boolean): void {
  if ('error' in s) {
    process.stderr.write(`switchyard capacity: ${s.error}\n`);
    return;
  }
  process.stdout.write(json ? `${JSON.stringify(s.raw)}\n` : renderCapacityTable(s.doc, { colour, source: adminUrl }));
}

function usageError(message: string): never {
  process.stderr.write(`switchyard capacity: ${message}\n${CAPACITY_USAGE}\n`);
  process.exit(EXIT_UNREACHABLE);
}

export async function runCapacity(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      admin: { type: 'string' },
      config: { type: 'string', short: 'c' },
      watch: { type: 'boolean', short: 'w', default: false },
      interval: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${CAPACITY_USAGE}\n`);
    return;
  }
  const intervalMs = Number(values.interval ?? 1000);
  if (!Number.isInteger(intervalMs) || intervalMs < 100) usageError(`--interval: expected whole milliseconds >= 100`);
  const target = await adminTarget(values.admin, values.config ?? (process.env.SWITCHYARD_CONFIG || undefined));
  if (!target.ok) usageError(target.errors.join('\n'));

  // Colour and screen redraws are for people at a terminal; pipes and files get plain text.
  const tty = process.stdout.isTTY === true;
  const colour = tty && process.env.NO_COLOR === undefined;
  const json = values.json ?? false;

  if (!values.watch) {
    const s = await snapshot(target.url);
    print(s, target.url, json, colour);
    process.exitCode = exitCodeOf(s);
    return;
  }

  let last = EXIT_UNREACHABLE;
  const stop = (): void => process.exit(last);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  for (;;) {
    const s = await snapshot(target.url);
    last = exitCodeOf(s);
    if (tty && !json) process.stdout.write('\u001b[H\u001b[2J');
    else if (!json) process.stdout.write('\n');
    print(s, target.url, json, colour);
    if (tty && !json) process.stdout.write(`\nrefreshing every ${intervalMs} ms; Ctrl-C to stop\n`);
    await delay(intervalMs);
  }
}

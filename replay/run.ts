// `npm run replay`: every incident under every policy (or --only some), then
// replay/results.json, replay/RESULTS.md and one SVG per incident. Ctrl-C stops every
// child process; a run that hangs is abandoned after twice its expected time.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitForQuiet } from '../tools/contention.js';
import { ChildRegistry } from '../tools/children.js';
import { INCIDENT_NAMES } from './incidents/index.js';
import { parseReplayOptions } from './options.js';
import { estimateSeconds, runReplay } from './replay.js';
import { writeReplayReport } from './report.js';
import type { ReplayResults } from './types.js';

function readResults(dir: string): ReplayResults | null {
  const file = path.join(dir, 'results.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ReplayResults) : null;
}

/** A run of some incidents replaces those in the results already there and keeps the others. */
function merged(fresh: ReplayResults, previous: ReplayResults | null): ReplayResults {
  if (previous === null || fresh.incidents.length === INCIDENT_NAMES.length) return fresh;
  const byName = new Map(previous.incidents.map((i) => [i.name, i]));
  for (const i of fresh.incidents) byName.set(i.name, i);
  const kept = previous.incidents.filter((i) => !fresh.incidents.some((f) => f.name === i.name)).map((i) => i.name);
  return {
    ...fresh,
    command: kept.length === 0 ? fresh.command : `${fresh.command} (${kept.join(', ')} kept from ${previous.command})`,
    incidents: INCIDENT_NAMES.flatMap((n) => byName.get(n) ?? []),
  };
}

async function main(): Promise<void> {
  const opts = parseReplayOptions();
  const log = (msg: string): void => {
    process.stdout.write(`${msg}\n`);
  };
  mkdirSync(opts.out, { recursive: true });
  if (opts.reportOnly) {
    const results = readResults(opts.out);
    if (results === null) throw new Error(`no ${opts.out}/results.json to report on`);
    writeReplayReport(opts.out, results);
    log(`rewrote ${opts.out}/RESULTS.md and the charts from results.json`);
    return;
  }
  const reg = new ChildRegistry();
  const onSignal = reg.killAllOnExit();

  const quiet = await waitForQuiet(120_000, log);
  const estimate = estimateSeconds(opts);
  log(`replaying ${opts.only?.join(', ') ?? 'every incident'}: about ${Math.ceil(estimate / 60)} minutes`);
  const hardLimit = setTimeout(
    () => {
      log('hard time limit reached; stopping');
      onSignal();
    },
    (estimate * 2 + 60) * 1000,
  );
  hardLimit.unref();
  const command = `npm run replay${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const fresh = await runReplay({ ...opts, command, quiet }, reg, log);
  clearTimeout(hardLimit);
  const results = merged(fresh, readResults(opts.out));
  writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeReplayReport(opts.out, results);
  log(`wrote ${opts.out}/results.json, RESULTS.md and ${results.incidents.map((i) => `${i.name}.svg`).join(', ')}`);
}

await main();

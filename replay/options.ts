// Options of `npm run replay`.
import { parseArgs } from 'node:util';
import { INCIDENT_NAMES } from './incidents/index.js';
import type { IncidentName } from './types.js';

export interface ReplayCliOptions {
  readonly only: readonly IncidentName[] | null;
  readonly policies: readonly string[] | null;
  readonly seed: number;
  readonly scale: number;
  readonly out: string;
  /** Rewrite RESULTS.md and the charts from results.json without running anything. */
  readonly reportOnly: boolean;
}

export const USAGE = `usage: npm run replay [-- options]
  --only NAME[,NAME]   incidents to run (${INCIDENT_NAMES.join(', ')}); default all
  --policies A,B       policy names to run (e.g. "switchyard,round robin"); default all
  --seed N             the clients' seed (default 1)
  --scale F            time scale of the incidents, 1 = as documented (default 1)
  --out DIR            where results go (default replay)
  --report-only        rewrite RESULTS.md and the charts from results.json
A run of some incidents replaces only those incidents in an existing results.json.`;

export function parseReplayOptions(argv: readonly string[]): ReplayCliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      policies: { type: 'string' },
      seed: { type: 'string' },
      scale: { type: 'string' },
      out: { type: 'string' },
      'report-only': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only =
    values.only === undefined
      ? null
      : values.only.split(',').map((s) => {
          const name = s.trim();
          if (!(INCIDENT_NAMES as readonly string[]).includes(name)) {
            throw new Error(`--only: unknown incident "${name}" (known: ${INCIDENT_NAMES.join(', ')})`);
          }
          return name as IncidentName;
        });
  const scale = Number(values.scale ?? '1');
  if (!(scale > 0 && scale <= 10)) throw new Error(`--scale: expected a number in (0, 10], got "${values.scale}"`);
  const seed = Number(values.seed ?? '1');
  if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got "${values.seed}"`);
  return {
    only,
    policies: values.policies === undefined ? null : values.policies.split(',').map((s) => s.trim()),
    seed,
    scale,
    out: values.out ?? 'replay',
    reportOnly: values['report-only'] === true,
  };
}

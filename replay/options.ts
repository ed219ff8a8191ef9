// Options of `npm run replay`.
import { commandLine, flag, number, oneOf, text } from '../tools/argv.js';
import { INCIDENT_NAMES, INCIDENTS } from './incidents/index.js';
import { policiesOf, type ReplayOptions } from './replay.js';

const POLICY_NAMES = [...new Set(INCIDENTS.flatMap((i) => policiesOf(i).map((p) => p.name)))];

const SPEC = {
  only: oneOf('incidents to run (default all)', INCIDENT_NAMES, undefined),
  policies: oneOf('policies to run, e.g. "switchyard,round robin" (default all)', POLICY_NAMES, undefined),
  seed: number("the clients' seed", 1, { integer: true }),
  scale: number('time scale of the incidents, 1 = as documented', 1, { min: Number.MIN_VALUE, max: 10, arg: 'F' }),
  out: text('where results go', 'replay', 'DIR'),
  'report-only': flag('rewrite RESULTS.md and the charts from results.json'),
};

/** The replay's options, and where the results go; --report-only rewrites RESULTS.md and the charts from results.json. */
export function parseReplayOptions(): Omit<ReplayOptions, 'command' | 'quiet'> & { out: string; reportOnly: boolean } {
  const o = commandLine(SPEC, {
    usage: 'usage: npm run replay [-- options]',
    notes: 'A run of some incidents replaces only those incidents in an existing results.json.',
  });
  return {
    only: o.only ?? null,
    policies: o.policies ?? null,
    seed: o.seed,
    scale: o.scale,
    out: o.out,
    reportOnly: o['report-only'],
  };
}

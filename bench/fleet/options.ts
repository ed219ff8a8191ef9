// Options of `npm run bench:fleet`.
import { parseArgs } from 'node:util';
import type { FleetName } from './fleets.js';

export type PolicyName = 'switchyard' | 'round-robin' | 'static';
export const POLICIES: readonly PolicyName[] = ['switchyard', 'round-robin', 'static'];

export interface FleetBenchOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly fleets: readonly FleetName[];
  readonly loads: readonly number[];
  readonly routers: readonly number[];
  readonly policies: readonly PolicyName[];
  /** The full matrix on fleet (a); the other fleets only at these loads. */
  readonly otherFleetLoads: readonly number[];
  readonly out: string;
  /** Another build of switchyard to measure (its dist/src/cli.js), e.g. an earlier commit. */
  readonly switchyardDir: string | null;
  /** Written to a file of its own when measuring another build. */
  readonly label: string;
  readonly seed: number;
  /** Rewrite RESULTS.md and the chart from results.json without running anything. */
  readonly reportOnly: boolean;
}

export const USAGE = `usage: npm run bench:fleet [-- options]
  --seconds S          measured seconds per run (default 30)
  --warmup S           seconds before measuring (default 5)
  --fleets a,b,c       fleets to run (default a,b,c)
  --loads 0.3,0.5,...  offered loads on fleet a (default 0.3,0.5,0.7,0.8,0.9,1.2)
  --other-loads 0.8    loads on fleets b and c (default 0.8)
  --routers 1,4        router processes (default 1,4)
  --policies ...       switchyard,round-robin,static (default all)
  --switchyard-dir D   measure the build in D (a checkout with dist/) instead of this one
  --label NAME         name of that build's results (default "before"; written to bench/fleet/NAME.json)
  --out DIR            where results go (default bench/fleet)
  --seed N             load generator seed (default 1)
  --report-only        rewrite RESULTS.md and shares.svg from results.json`;

function list<T>(value: string | undefined, fallback: readonly T[], parse: (s: string) => T): readonly T[] {
  if (value === undefined) return fallback;
  return value.split(',').map((s) => parse(s.trim()));
}

function positive(name: string, s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${s}"`);
  return n;
}

export function parseFleetOptions(argv: readonly string[]): FleetBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      fleets: { type: 'string' },
      loads: { type: 'string' },
      'other-loads': { type: 'string' },
      routers: { type: 'string' },
      policies: { type: 'string' },
      'switchyard-dir': { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      'report-only': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const fleet = (s: string): FleetName => {
    if (s !== 'a' && s !== 'b' && s !== 'c') throw new Error(`--fleets: unknown fleet "${s}" (known: a, b, c)`);
    return s;
  };
  const policy = (s: string): PolicyName => {
    if (!(POLICIES as readonly string[]).includes(s)) {
      throw new Error(`--policies: unknown policy "${s}" (known: ${POLICIES.join(', ')})`);
    }
    return s as PolicyName;
  };
  return {
    seconds: positive('--seconds', values.seconds ?? '30'),
    warmupSeconds: positive('--warmup', values.warmup ?? '5'),
    fleets: list(values.fleets, ['a', 'b', 'c'] as const, fleet),
    loads: list(values.loads, [0.3, 0.5, 0.7, 0.8, 0.9, 1.2], (s) => positive('--loads', s)),
    otherFleetLoads: list(values['other-loads'], [0.8], (s) => positive('--other-loads', s)),
    routers: list(values.routers, [1, 4], (s) => Math.round(positive('--routers', s))),
    policies: list(values.policies, POLICIES, policy),
    out: values.out ?? 'bench/fleet',
    switchyardDir: values['switchyard-dir'] ?? null,
    label: values.label ?? 'before',
    seed: Math.round(Number(values.seed ?? '1')),
    reportOnly: values['report-only'] === true,
  };
}

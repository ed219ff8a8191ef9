// Command-line options of `npm run bench` (after `--`).
import { parseArgs } from 'node:util';

export type PhaseId = 'A' | 'B' | 'drop';
const PHASES: readonly PhaseId[] = ['A', 'B', 'drop'];

export interface Options {
  readonly quick: boolean;
  /** Seconds per measured run. */
  readonly durationS: number;
  /** Interleaved rounds per target and workload (medians are over these). */
  readonly rounds: number;
  /** Seconds of unrecorded load per target before a phase's rounds. */
  readonly warmupS: number;
  readonly phases: ReadonlySet<PhaseId>;
  /** Streams opened and dropped per target in the drop phase. */
  readonly dropStreams: number;
  /** autocannon's progress bar (only on a TTY). */
  readonly progress: boolean;
  /** The whole run is abandoned (children killed) past this. */
  readonly hardLimitS: number;
  /** Where results go; the default is bench/ (quick runs too: they are what was measured). */
  readonly outDir: string | null;
}

export const USAGE = `usage: npm run bench [-- --quick] [--duration S] [--rounds N] [--warmup S] [--only A,B,drop] [--out DIR]
  --quick        2 s runs, 1 round, short warm-ups (a smoke test, about 1.5 minutes)
  --duration S   seconds per measured run (default 5)
  --rounds N     interleaved rounds per target and workload, medians reported (default 3)
  --warmup S     unrecorded load per target before each phase (default 1)
  --only LIST    phases to run: A (workloads A, A-rate, C), B (SSE 200 and 2,000 streams), drop
  --out DIR      write RESULTS.md, results.json and results.svg there instead of bench/`;

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const number = (raw: string | undefined, fallback: number, name: string, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new RangeError(`--${name}: expected a number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const durationS = number(values.duration, quick ? 2 : 5, 'duration', 1, 60);
  const rounds = Math.round(number(values.rounds, quick ? 1 : 3, 'rounds', 1, 10));
  const warmupS = number(values.warmup, quick ? 0.5 : 1, 'warmup', 0, 10);
  const phases = new Set<PhaseId>();
  for (const p of (values.only ?? PHASES.join(',')).split(',')) {
    const id = PHASES.find((x) => x.toLowerCase() === p.trim().toLowerCase());
    if (id === undefined) throw new RangeError(`--only: unknown phase "${p}" (expected ${PHASES.join(', ')})`);
    phases.add(id);
  }
  return {
    quick,
    durationS,
    rounds,
    warmupS,
    phases,
    dropStreams: 200,
    progress: process.stderr.isTTY === true,
    // Default settings take about 6 minutes; this only guards against a hang.
    hardLimitS: Math.max(300, 3 * 60 + rounds * durationS * 25 * 2),
    outDir: values.out ?? null,
  };
}

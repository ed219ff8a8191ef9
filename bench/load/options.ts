// Command-line options of `npm run bench` (after `--`).
import { parseArgs } from 'node:util';
import { TARGET_ORDER, type TargetName } from './targets.js';
import { WORKLOAD_IDS, type WorkloadId } from './workloads.js';

export type PhaseId = 'A' | 'B' | 'carry' | 'drop';
const PHASES: readonly PhaseId[] = ['A', 'B', 'carry', 'drop'];

export interface Options {
  readonly quick: boolean;
  /** Seconds per measured run. */
  readonly durationS: number;
  /** Interleaved rounds in which every target runs (medians are over these). */
  readonly rounds: number;
  /**
   * Rounds for switchyard and the lean peer (>= rounds): the rounds after `rounds` run
   * only that pair (and workload C, which is compared with switchyard's A), so that the
   * per-round ratios between them are many enough to resolve a few percent.
   */
  readonly pairRounds: number;
  /**
   * The pair's rounds are split into this many sessions, each with fresh processes of
   * switchyard and the lean peer: a process can settle into a faster or slower state
   * for its whole life, which rounds of one process cannot show.
   */
  readonly sessions: number;
  /**
   * Rounds of the carry-over phase (workload A, then B200 on the same switchyard and
   * lean processes), over min(sessions, carryRounds) sessions of fresh processes.
   */
  readonly carryRounds: number;
  /** How many times a disturbed pair run may be repeated per workload. */
  readonly maxRedos: number;
  /** Seconds of unrecorded load per target before a phase's rounds. */
  readonly warmupS: number;
  readonly phases: ReadonlySet<PhaseId>;
  readonly workloads: ReadonlySet<WorkloadId>;
  readonly targets: ReadonlySet<TargetName>;
  /** Streams opened and dropped per target in the drop phase. */
  readonly dropStreams: number;
  /** autocannon's progress bar (only on a TTY). */
  readonly progress: boolean;
  /** The whole run is abandoned (children killed) past this. */
  readonly hardLimitS: number;
  /** Where results go; the default is bench/ (quick runs too: they are what was measured). */
  readonly outDir: string | null;
}

export const DEFAULT_ROUNDS = 3;
export const DEFAULT_PAIR_ROUNDS = 20;
export const DEFAULT_SESSIONS = 4;
export const DEFAULT_CARRY_ROUNDS = 8;

export const USAGE = `usage: npm run bench [-- --quick] [--duration S] [--rounds N] [--pair-rounds M] [--sessions K] [--warmup S]
                   [--carry-rounds R] [--only A,B,carry,drop] [--workloads LIST] [--targets LIST] [--out DIR]
  --quick          2 s runs, 1 round (2 for the pair and the carry-over phase), short warm-ups
                   (a smoke test, about 3 minutes)
  --duration S     seconds per measured run (default 5)
  --rounds N       interleaved rounds with every target, medians reported (default ${DEFAULT_ROUNDS})
  --pair-rounds M  rounds for switchyard and the lean undici peer, whose per-round ratios
                   the streaming goals judge (default ${DEFAULT_PAIR_ROUNDS}; at least --rounds)
  --sessions K     fresh switchyard and lean processes K-1 times over the pair rounds
                   (default ${DEFAULT_SESSIONS}; 1 keeps the same processes throughout)
  --warmup S       unrecorded load per target before each workload (default 1)
  --carry-rounds R rounds of the carry-over phase: workload A, then at once B200 on the same
                   switchyard and lean processes, in min(K, R) sessions (default ${DEFAULT_CARRY_ROUNDS})
  --only LIST      phases to run: A (workloads A, A-rate, C), B (SSE 200 and 2,000 streams),
                   carry (B200-after-A), drop
  --workloads LIST ${WORKLOAD_IDS.join(', ')} within those phases (default all)
  --targets LIST   ${TARGET_ORDER.join(', ')} (default all)
  --out DIR        write RESULTS.md, results.json and results.svg there instead of bench/`;

function list<T extends string>(raw: string | undefined, all: readonly T[], name: string): Set<T> {
  const out = new Set<T>();
  for (const p of (raw ?? all.join(',')).split(',')) {
    const id = all.find((x) => x.toLowerCase() === p.trim().toLowerCase());
    if (id === undefined) throw new RangeError(`--${name}: unknown "${p}" (expected ${all.join(', ')})`);
    out.add(id);
  }
  return out;
}

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      'pair-rounds': { type: 'string' },
      sessions: { type: 'string' },
      'carry-rounds': { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      workloads: { type: 'string' },
      targets: { type: 'string' },
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
  const rounds = Math.round(number(values.rounds, quick ? 1 : DEFAULT_ROUNDS, 'rounds', 1, 40));
  const pairRounds = Math.max(
    rounds,
    Math.round(number(values['pair-rounds'], quick ? 2 : DEFAULT_PAIR_ROUNDS, 'pair-rounds', 1, 60)),
  );
  const sessions = Math.min(
    pairRounds,
    Math.round(number(values.sessions, quick ? 1 : DEFAULT_SESSIONS, 'sessions', 1, 20)),
  );
  const warmupS = number(values.warmup, quick ? 0.5 : 1, 'warmup', 0, 10);
  const carryRounds = Math.round(
    number(values['carry-rounds'], quick ? 2 : DEFAULT_CARRY_ROUNDS, 'carry-rounds', 1, 60),
  );
  const phases = list(values.only, PHASES, 'only');
  const workloads = list(values.workloads, WORKLOAD_IDS, 'workloads');
  const targets = list(values.targets, TARGET_ORDER, 'targets');
  // Runs per workload: every target in `rounds`, the pair (and C) in the others, and redos;
  // the carry-over phase's pair runs A and B200 in each of its rounds.
  const maxRedos = Math.ceil(pairRounds / 4);
  const runs = TARGET_ORDER.length * 5 * rounds + 2 * 4 * (pairRounds - rounds + maxRedos) + 2 * 2 * carryRounds;
  return {
    quick,
    durationS,
    rounds,
    pairRounds,
    sessions,
    carryRounds,
    maxRedos,
    warmupS,
    phases,
    workloads,
    targets,
    dropStreams: 200,
    progress: process.stderr.isTTY === true,
    // Default settings take about 20 minutes; this only guards against a hang.
    hardLimitS: Math.max(600, 5 * 60 + runs * (durationS + 2) * 1.5),
    outDir: values.out ?? null,
  };
}

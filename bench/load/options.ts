// Command-line options of `npm run bench` (after `--`).
import { commandLine, flag, number, oneOf, text } from '../../tools/argv.js';
import { TARGET_ORDER, type TargetName } from './targets.js';
import { WORKLOAD_IDS, type WorkloadId } from './workloads.js';

export type PhaseId = 'A' | 'B' | 'carry' | 'drop';
const PHASES: readonly PhaseId[] = ['A', 'B', 'carry', 'drop'];

const SPEC = {
  quick: flag(
    '2 s runs, 1 round (2 for the pair and the carry-over phase), short warm-ups: a smoke test, about 3 minutes',
  ),
  duration: number('seconds per measured run (default 5; 2 with --quick)', undefined, { min: 1, max: 60, arg: 'S' }),
  rounds: number('interleaved rounds with every target, medians reported (default 3)', undefined, {
    min: 1,
    max: 40,
    integer: true,
  }),
  'pair-rounds': number(
    'rounds for switchyard and the lean undici peer, whose per-round ratios the streaming goals judge (default 20; at least --rounds)',
    undefined,
    { min: 1, max: 60, integer: true, arg: 'M' },
  ),
  sessions: number(
    'fresh switchyard and lean processes K-1 times over the pair rounds (default 4; 1 keeps them)',
    undefined,
    {
      min: 1,
      max: 20,
      integer: true,
      arg: 'K',
    },
  ),
  warmup: number('unrecorded load per target before each workload (default 1; 0.5 with --quick)', undefined, {
    min: 0,
    max: 10,
    arg: 'S',
  }),
  'carry-rounds': number(
    'rounds of the carry-over phase: workload A, then at once B200 on the same processes, in min(K, R) sessions (default 8)',
    undefined,
    { min: 1, max: 60, integer: true, arg: 'R' },
  ),
  only: oneOf('phases to run: A (workloads A, A-rate, C), B (SSE 200 and 2,000 streams), carry, drop', PHASES),
  workloads: oneOf('workloads to run within those phases', WORKLOAD_IDS),
  targets: oneOf('targets to run', TARGET_ORDER),
  out: text('write RESULTS.md, results.json and results.svg there instead of bench/', undefined, 'DIR'),
  'report-only': flag('rewrite RESULTS.md and results.svg from results.json (in bench/ or --out)'),
};

export type Options = ReturnType<typeof parseOptions>;

export function parseOptions() {
  const o = commandLine(SPEC, { usage: 'usage: npm run bench [-- options]' });
  const quick = o.quick;
  const rounds = o.rounds ?? (quick ? 1 : 3);
  const pairRounds = Math.max(rounds, o['pair-rounds'] ?? (quick ? 2 : 20));
  const sessions = Math.min(pairRounds, o.sessions ?? (quick ? 1 : 4));
  const carryRounds = o['carry-rounds'] ?? (quick ? 2 : 8);
  const durationS = o.duration ?? (quick ? 2 : 5);
  // Runs per workload: every target in `rounds`, the pair (and C) in the others, and redos;
  // the carry-over phase's pair runs A and B200 in each of its rounds.
  const maxRedos = Math.ceil(pairRounds / 4);
  const runs = TARGET_ORDER.length * 5 * rounds + 2 * 4 * (pairRounds - rounds + maxRedos) + 2 * 2 * carryRounds;
  return {
    quick,
    /** Seconds per measured run. */
    durationS,
    /** Interleaved rounds in which every target runs (medians are over these). */
    rounds,
    /**
     * Rounds for switchyard and the lean peer (>= rounds): the rounds after `rounds` run
     * only that pair (and workload C, which is compared with switchyard's A), so that the
     * per-round ratios between them are many enough to resolve a few percent.
     */
    pairRounds,
    /**
     * The pair's rounds are split into this many sessions, each with fresh processes of
     * switchyard and the lean peer: a process can settle into a faster or slower state
     * for its whole life, which rounds of one process cannot show.
     */
    sessions,
    /** Rounds of the carry-over phase, over min(sessions, carryRounds) sessions of fresh processes. */
    carryRounds,
    /** How many times a disturbed pair run may be repeated per workload. */
    maxRedos,
    /** Seconds of unrecorded load per target before a phase's rounds. */
    warmupS: o.warmup ?? (quick ? 0.5 : 1),
    phases: new Set<PhaseId>(o.only) as ReadonlySet<PhaseId>,
    workloads: new Set<WorkloadId>(o.workloads) as ReadonlySet<WorkloadId>,
    targets: new Set<TargetName>(o.targets) as ReadonlySet<TargetName>,
    /** Streams opened and dropped per target in the drop phase. */
    dropStreams: 200,
    /** autocannon's progress bar (only on a TTY). */
    progress: process.stderr.isTTY === true,
    /** The whole run is abandoned (children killed) past this; default settings take about 20 minutes. */
    hardLimitS: Math.max(600, 5 * 60 + runs * (durationS + 2) * 1.5),
    /** Where results go; the default is bench/ (quick runs too: they are what was measured). */
    outDir: o.out ?? null,
    /** Rewrite RESULTS.md and results.svg from results.json without running anything. */
    reportOnly: o['report-only'],
  };
}

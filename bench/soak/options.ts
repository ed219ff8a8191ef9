// Command-line options of `npm run bench:soak` (after `--`).
import { commandLine, flag, number, oneOf, text } from '../../tools/argv.js';

export type SoakPhase = 'steady' | 'queued';
const PHASES: readonly SoakPhase[] = ['steady', 'queued'];

const SPEC = {
  phases: oneOf(
    'phases to run: steady (the load with faults for --minutes), queued (5,000 requests waiting at once, then drained)',
    PHASES,
  ),
  minutes: number('minutes of load with faults on a schedule', 10, { min: 1, max: 240, integer: true }),
  rate: number('requests started per second', 160, { min: 1, max: 2000, arg: 'R' }),
  seed: number('seed of the request mix and of the sampled bad requests (default: random, printed)', undefined, {
    integer: true,
    arg: 'S',
  }),
  out: text('write RESULTS.md and results.json there instead of bench/soak/', undefined, 'DIR'),
  snapshots: flag(
    "also write the router's heap snapshots after minute 1 and the last minute (router-minute-N.heapsnapshot in the output directory; open them in DevTools)",
  ),
};

export function parseSoakOptions() {
  const o = commandLine(SPEC, { usage: 'usage: npm run bench:soak [-- options]' });
  return {
    /** Which phases run: the steady load with faults, and the queued phase. */
    phases: o.phases,
    /** How long the steady load runs; heap and leaks are judged from minute 1 on. */
    minutes: o.minutes,
    /** Requests started per second, every kind together. */
    rate: o.rate,
    /** Seed of the bad-request sample and of the request mix. */
    seed: o.seed ?? (Date.now() ^ 0x5eed) | 0,
    /** Where RESULTS.md and results.json go (default bench/soak). */
    outDir: o.out ?? null,
    /** Write the router's heap snapshots at the end of minute 1 and of the last minute. */
    snapshots: o.snapshots,
  };
}

// Command-line options of `npm run bench:soak` (after `--`).
import { parseArgs } from 'node:util';

export interface SoakOptions {
  /** How long the steady load runs; heap and leaks are judged from minute 1 on. */
  readonly minutes: number;
  /** Requests started per second, every kind together. */
  readonly rate: number;
  /** Seed of the bad-request sample and of the request mix. */
  readonly seed: number;
  /** Where RESULTS.md and results.json go (default bench/soak). */
  readonly outDir: string | null;
  /** Write the router's heap snapshots at the end of minute 1 and of the last minute. */
  readonly snapshots: boolean;
}

export const USAGE = `usage: npm run bench:soak [-- --minutes N] [--rate R] [--seed S] [--out DIR]
  --minutes N   minutes of load with faults on a schedule (default 10)
  --rate R      requests started per second (default 160)
  --seed S      seed of the request mix and of the sampled bad requests (default: random, printed)
  --out DIR     write RESULTS.md and results.json there instead of bench/soak/
  --snapshots   also write the router's heap snapshots after minute 1 and the last minute
                (router-minute-N.heapsnapshot in the output directory; open them in DevTools)`;

function positive(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new Error(`--${name}: expected a number from 1 to ${max}, got ${value}`);
  return n;
}

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      snapshots: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    minutes: Math.round(positive('minutes', values.minutes, 10, 240)),
    rate: positive('rate', values.rate, 160, 2000),
    seed: values.seed === undefined ? (Date.now() ^ 0x5eed) | 0 : Number(values.seed) | 0,
    outDir: values.out ?? null,
    snapshots: values.snapshots === true,
  };
}

// RESULTS.md and results.json of the soak: the per-minute samples, the answers by
// status and code, and the verdict against the target.
import type { MachineInfo } from '../../tools/machine.js';
import { markdownTable, tidyMarkdown } from '../../tools/table.js';
import type { Tally } from './load.js';
import type { RouterSample } from './router-child.js';

export interface MinuteRow {
  readonly minute: number;
  readonly sample: RouterSample;
  readonly tally: Tally;
  readonly startedTotal: number;
}

export interface SoakResults {
  readonly command: string;
  readonly seed: number;
  readonly minutes: number;
  readonly rate: number;
  readonly machine: MachineInfo;
  readonly startedAt: string;
  readonly idle: RouterSample;
  readonly rows: readonly MinuteRow[];
  readonly final: RouterSample;
  /** Answers that came in after the last sample (the load winding down). */
  readonly trailing: Tally | undefined;
  readonly routerExited: string | null;
  readonly warnings: readonly string[];
  readonly warnCount: number;
  readonly faultTransitions: readonly string[];
}

export const HEAP_GROWTH_TARGET = 0.05;

// Operations in progress (a write, a shutdown, a lookup) are not resources: leave them out.
const isOperation = (kind: string): boolean => /ReqWrap$|ShutdownWrap$|WriteWrap$/.test(kind);
const handleTotal = (s: RouterSample): number =>
  Object.entries(s.handles).reduce((a, [kind, n]) => a + (isOperation(kind) ? 0 : n), 0);
const sockets = (s: RouterSample): number => s.handles.TCPSocketWrap ?? 0;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function renderSoakResults(r: SoakResults): { markdown: string; json: unknown; verdict: string } {
  const first = r.rows[0];
  const last = r.rows[r.rows.length - 1];
  const growth =
    first !== undefined && last !== undefined && r.rows.length > 1
      ? last.sample.heapUsedMB / first.sample.heapUsedMB - 1
      : null;
  const dataGrowth =
    first !== undefined && last !== undefined && r.rows.length > 1
      ? dataMB(last.sample) / dataMB(first.sample) - 1
      : null;
  const tallies = [...r.rows.map((row) => row.tally), ...(r.trailing === undefined ? [] : [r.trailing])];
  const outcomes = new Map<string, number>();
  const kinds = new Map<string, number>();
  let undocumented = 0;
  let outside = 0;
  let clientErrors = 0;
  const examples: string[] = [];
  for (const t of tallies) {
    for (const [k, v] of t.byOutcome) outcomes.set(k, (outcomes.get(k) ?? 0) + v);
    for (const [k, v] of t.byKind) kinds.set(k, (kinds.get(k) ?? 0) + v);
    undocumented += t.undocumented;
    outside += t.outsideBoundary;
    clientErrors += t.clientErrors;
    examples.push(...t.examples);
  }
  const secretInLogs = r.warnings.some((w) => w.includes('soak-secret'));
  const checks: Array<[string, boolean, string]> = [
    [
      'heap after GC grows < 5% from minute 1 to the end',
      growth !== null && growth < HEAP_GROWTH_TARGET,
      growth === null
        ? 'n/a (needs 2 minutes)'
        : `${first?.sample.heapUsedMB} -> ${last?.sample.heapUsedMB} MB (${pct(growth)})`,
    ],
    ['the router stayed up', r.routerExited === null, r.routerExited ?? 'yes'],
    ['requests in flight back to 0', r.final.requestsInFlight === 0, String(r.final.requestsInFlight)],
    ['backend attempts in flight back to 0', r.final.attemptsInFlight === 0, String(r.final.attemptsInFlight)],
    [
      'no pool request running or pending',
      r.final.pool.running === 0 && r.final.pool.pending === 0,
      `running ${r.final.pool.running}, pending ${r.final.pool.pending}`,
    ],
    [
      'open sockets back to idle + pooled upstream connections',
      sockets(r.final) <= sockets(r.idle) + r.final.pool.connected,
      `${sockets(r.final)} (idle ${sockets(r.idle)}, pooled connections ${r.final.pool.connected})`,
    ],
    [
      'other handles (servers, timers, pipes) back to idle',
      handleTotal(r.final) - sockets(r.final) <= handleTotal(r.idle) - sockets(r.idle),
      `${handleTotal(r.final) - sockets(r.final)} (idle ${handleTotal(r.idle) - sockets(r.idle)})`,
    ],
    ['every answer has a documented status', undocumented === 0, String(undocumented)],
    ['no answer from outside its boundary', outside === 0, String(outside)],
    ['no credential in the router log', !secretInLogs, secretInLogs ? 'found' : 'none'],
  ];
  const ok = checks.every(([, pass]) => pass);
  const verdict = `soak ${ok ? 'met its target' : 'did NOT meet its target'}: ${checks
    .filter(([, pass]) => !pass)
    .map(([name, , value]) => `${name} (${value})`)
    .join('; ')}`.replace(/: $/, '');

  const minuteTable = markdownTable(
    [
      'min',
      'RSS MB',
      'heap after GC MB',
      'of which compiled MB',
      'data MB',
      'heap total MB',
      'in flight',
      'attempts',
      'pool conn/free/run/pend',
      'handles',
      'answers',
      'req/s',
      'warn lines',
    ],
    [
      [
        'idle',
        r.idle.rssMB,
        r.idle.heapUsedMB,
        compiledMB(r.idle),
        dataMB(r.idle),
        r.idle.heapTotalMB,
        r.idle.requestsInFlight,
        r.idle.attemptsInFlight,
        poolCell(r.idle),
        handleTotal(r.idle),
        '-',
        '-',
        r.idle.logLines,
      ],
      ...r.rows.map((row) => [
        row.minute,
        row.sample.rssMB,
        row.sample.heapUsedMB,
        compiledMB(row.sample),
        dataMB(row.sample),
        row.sample.heapTotalMB,
        row.sample.requestsInFlight,
        row.sample.attemptsInFlight,
        poolCell(row.sample),
        handleTotal(row.sample),
        row.tally.total(),
        Math.round(row.tally.total() / 60),
        row.sample.logLines,
      ]),
      [
        'end',
        r.final.rssMB,
        r.final.heapUsedMB,
        compiledMB(r.final),
        dataMB(r.final),
        r.final.heapTotalMB,
        r.final.requestsInFlight,
        r.final.attemptsInFlight,
        poolCell(r.final),
        handleTotal(r.final),
        '-',
        '-',
        r.final.logLines,
      ],
    ],
  );
  const outcomeTable = markdownTable(
    ['answer (status and code)', 'count'],
    [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v]),
  );
  const kindTable = markdownTable(
    ['request kind', 'count'],
    [...kinds].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v]),
  );
  const m = r.machine;
  const markdown = `# Soak results

Generated by \`${r.command}\` (seed ${r.seed}) on ${r.startedAt}.

Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB, Node ${m.node} (V8 ${m.v8}), ${m.platform};
load average ${m.loadAvg1m} at the start (the machine is shared).

**Verdict: ${ok ? 'target met' : 'target NOT met'}.**

${markdownTable(
  ['check', 'result', 'value'],
  checks.map(([name, pass, value]) => [name, pass ? 'pass' : 'FAIL', value]),
)}

Not a check, to read the first row: of the heap after GC, the part that is not compiled
code (data MB in the table below) went ${
    dataGrowth === null || first === undefined || last === undefined
      ? 'unmeasured (needs 2 minutes)'
      : `from ${dataMB(first.sample)} to ${dataMB(last.sample)} MB (${pct(dataGrowth)})`
  }; compiled code and bytecode from ${first === undefined ? '-' : compiledMB(first.sample)} to ${
    last === undefined ? '-' : compiledMB(last.sample)
  } MB. V8 keeps compiling and re-optimising functions for minutes under a varied load;
[bench/README.md](../README.md#the-soak-npm-run-benchsoak) shows what heap snapshots say
grows.

## What ran

The router runs in its own process (\`--expose-gc\`) in front of four simulated regions
(eu1, eu2 in zone eu; us1, us2 in zone us; capacity 80 each), with deployments \`g\`
(global), \`eu\` (datazone eu) and \`us1\` (regional). A steady load of ${r.rate} requests/s
mixes plain and streamed chat requests in both API styles, clients that abort a stream
after its first chunk, bad requests sampled from the fuzz arbitraries
(\`test/fuzz/arbitraries.ts\`: odd methods and targets, dot segments, hostile headers,
deep nesting, duplicate models, huge names, chunked and short bodies), and clients that
send half a body and stall (408 after \`limits.requestBodyTimeoutMs\` = 2 s).

Faults repeat every minute (\`bench/soak/faults.ts\`): telemetry answers 500 (5-15 s),
flaps between a malformed and a good body every second (15-25 s), hangs (25-30 s);
region us1 stops (30-45 s), region eu2 stops (45-52 s). The telemetry URL carries an
\`access_token\`; the router's warn lines are checked for it.

Each minute the router collects garbage twice and reports its memory (heap used, and
of it compiled code and bytecode with their metadata, from \`v8.getHeapCodeStatistics()\`), requests and backend attempts
in flight, undici pool counts summed over backends, and open handles
(\`process.getActiveResourcesInfo()\`). The bad requests are as many distinct ones as
go by in 50 s, repeated: every minute after the first sees the same mix, so heap growth
means retained data rather than code compiled for a request first seen late. After the last minute the load stops and the
router is sampled until it is at rest (at most 30 s).

## Per minute

${minuteTable}

Request kinds started: see below. "answers" counts requests whose answer came in during
that minute.

## Answers by status and error code

${outcomeTable}

${kindTable}

Client-side errors (the load generator's own, e.g. a reset of an aborted stream): ${clientErrors}.

## Router warnings (${r.warnCount} lines; the first ones)

${r.warnings.length === 0 ? 'none' : `\`\`\`\n${r.warnings.slice(0, 12).join('\n')}\n\`\`\``}
${
  examples.length > 0
    ? `\n## Problems seen\n\n${examples
        .slice(0, 20)
        .map((e) => `- ${e}`)
        .join('\n')}\n`
    : ''
}`;
  const json = {
    command: r.command,
    seed: r.seed,
    machine: r.machine,
    startedAt: r.startedAt,
    rate: r.rate,
    verdict: ok,
    checks: checks.map(([name, pass, value]) => ({ name, pass, value })),
    heapGrowth: growth,
    dataGrowth,
    idle: r.idle,
    minutes: r.rows.map((row) => ({
      minute: row.minute,
      sample: row.sample,
      answers: Object.fromEntries(row.tally.byOutcome),
    })),
    final: r.final,
    answers: Object.fromEntries(outcomes),
  };
  return { markdown: tidyMarkdown(markdown), json, verdict };
}

/** Compiled code and bytecode with their metadata: grows while V8 optimises paths first taken late. */
function compiledMB(s: RouterSample): number {
  return Math.round(s.compiledMB * 100) / 100;
}

/** Heap after GC that is not compiled code: what the router's own data holds. */
function dataMB(s: RouterSample): number {
  return Math.round((s.heapUsedMB - s.compiledMB) * 100) / 100;
}

function poolCell(s: RouterSample): string {
  return `${s.pool.connected}/${s.pool.free}/${s.pool.running}/${s.pool.pending}`;
}

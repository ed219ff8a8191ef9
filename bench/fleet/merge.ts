// A run of some groups (`--scenarios tokens`, say) replaces those groups' rows in
// results.json and keeps the others, with the run that measured them: the file's
// top-level fields stay those of the run that measured the matrix, and every other run
// whose rows are kept is listed in otherRuns.
import { RUN_GROUPS, type RunGroup } from './options.js';
import { TOKEN_FLEET_NAME } from './token-fleet.js';
import type { FleetResults, FleetRow, OtherRun } from './types.js';

export function groupOf(row: FleetRow): RunGroup {
  return row.scenario ?? (row.fleet === TOKEN_FLEET_NAME ? 'tokens' : 'matrix');
}

function runOf(r: FleetResults, groups: readonly string[]): OtherRun {
  return {
    groups,
    command: r.command,
    machine: r.machine,
    quiet: r.quiet,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    seconds: r.seconds,
    warmupSeconds: r.warmupSeconds,
  };
}

const order = (row: FleetRow): number => RUN_GROUPS.indexOf(groupOf(row));

/** The runs whose rows a file holds, its top-level run first. */
function runsOf(r: FleetResults): OtherRun[] {
  const others = r.otherRuns ?? [];
  const elsewhere = new Set(others.flatMap((o) => o.groups));
  const own = [...new Set(r.rows.map(groupOf))].filter((g) => !elsewhere.has(g));
  return [runOf(r, own), ...others];
}

/** `fresh` measured `groups`; the rows of every other group are kept from `previous`. */
export function mergeResults(
  fresh: FleetResults,
  previous: FleetResults | null,
  groups: readonly RunGroup[],
): FleetResults {
  if (previous === null) return fresh;
  const ran = new Set<string>(groups);
  const kept = previous.rows.filter((r) => !ran.has(groupOf(r)));
  if (kept.length === 0) return fresh;
  const keptGroups = new Set<string>(kept.map(groupOf));
  const earlier = runsOf(previous)
    .map((o) => ({ ...o, groups: o.groups.filter((g) => keptGroups.has(g)) }))
    .filter((o) => o.groups.length > 0);
  const runs = [runOf(fresh, groups), ...earlier];
  // The top level describes the run of the matrix when the file has one.
  const top = runs.find((o) => o.groups.includes('matrix')) ?? (runs[0] as OtherRun);
  const byTop = top === runs[0] ? fresh : previous;
  return {
    command: top.command,
    machine: top.machine,
    quiet: top.quiet,
    startedAt: top.startedAt,
    finishedAt: top.finishedAt,
    seconds: top.seconds,
    warmupSeconds: top.warmupSeconds,
    rows: [...kept, ...fresh.rows].sort((a, b) => order(a) - order(b)),
    // The chart is of the matrix's runs.
    series: byTop.series,
    otherRuns: runs.filter((o) => o !== top),
  };
}

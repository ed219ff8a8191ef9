// replay/RESULTS.md and one SVG per incident, from results.json. The notes at the end of
// RESULTS.md (below the marker) are written by people and kept when it is regenerated.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { markdownTable, num, tidyMarkdown } from '../tools/table.js';
import { incidentChart } from './chart.js';
import { verdicts } from './targets.js';
import type { IncidentResult, PolicyResult, ReplayResults } from './types.js';

export const NOTES_MARKER = '<!-- notes: everything below this line is kept when RESULTS.md is regenerated -->';

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
/** A time to answer in seconds: '-' in results written before it was measured, 'n/a' when nothing was served. */
const seconds = (ms: number | null | undefined): string =>
  ms === undefined ? '-' : num(ms === null ? null : ms / 1000);

function mainTable(inc: IncidentResult): string {
  // Tokens only where the requests have sizes (the quota incident).
  const tokens = inc.policies.some((p) => p.sentTokens !== undefined);
  const failedTokens = (p: PolicyResult): string =>
    p.sentTokens === undefined || p.failedTokens === undefined ? '-' : pct(p.failedTokens / Math.max(1, p.sentTokens));
  return markdownTable(
    [
      'policy',
      'sent',
      'failed',
      'failed %',
      ...(tokens ? ['failed tokens'] : []),
      'failed interactive',
      'failed backlog',
      'p50 s',
      'p99 s',
      '429',
      '400',
      '5xx',
      'router answered',
      'backend 429s',
      'retry amplification',
      'client attempts per request',
      'upstream per client attempt',
      'peak utilisation',
      's over capacity',
      'idle while rejecting',
      'recovery s',
      'boundary violations',
    ],
    inc.policies.map((p) => [
      p.policy,
      p.sent,
      p.failed,
      pct(p.failedRate),
      ...(tokens ? [failedTokens(p)] : []),
      p.failedInteractive ?? '-',
      p.failedBacklog ?? '-',
      seconds(p.timeToAnswerP50Ms),
      seconds(p.timeToAnswerP99Ms),
      p.status429,
      p.status400,
      p.status5xx,
      p.routerAnswered,
      p.backend429,
      num(p.retryAmplification),
      num(p.clientAttempts / Math.max(1, p.sent)),
      num(p.upstreamPerClientAttempt),
      num(p.peakUtilisation),
      num(p.secondsOverCapacity),
      p.idleWhileRejecting === null ? '-' : pct(p.idleWhileRejecting),
      p.recoverySeconds === null ? 'not in run' : num(p.recoverySeconds),
      p.boundaryViolations,
    ]),
  );
}

function whereTable(inc: IncidentResult): string {
  const deployments = [...new Set(inc.policies.flatMap((p) => Object.keys(p.failedByDeployment)))].sort();
  return markdownTable(
    ['policy', 'failed before the fault', 'during', 'after', ...deployments.map((d) => `failed ${d}`)],
    inc.policies.map((p: PolicyResult) => [
      p.policy,
      p.failedBeforeFault,
      p.failedDuringFault,
      p.failedAfterFault,
      ...deployments.map((d) => p.failedByDeployment[d] ?? 0),
    ]),
  );
}

function incidentSection(inc: IncidentResult, results: ReplayResults): string {
  const events = inc.events.map((e) => `- ${e.atS} s: ${e.label}`).join('\n');
  return [
    `## ${inc.name}`,
    '',
    `${inc.title}. ${inc.seconds} s, offered load ${inc.load} of the fleet's capacity (${inc.ratePerSecond} requests/s outside surges${inc.fleet === undefined ? '' : `; the fleet: ${inc.fleet}`}), clients: ${inc.client.label}.`,
    '',
    events,
    '',
    mainTable(inc),
    '',
    'Where the failures were (by the time the request was sent):',
    '',
    whereTable(inc),
    '',
    `![${inc.name}](${inc.name}.svg)`,
    '',
    results.scale === 1 ? '' : `(time scale ${results.scale}: a shortened run, not figures to quote)\n`,
  ].join('\n');
}

function targetsSection(results: ReplayResults): string {
  const rows = results.incidents.flatMap(verdicts);
  return markdownTable(
    ['incident', 'target', 'measured', 'met'],
    rows.map((r) => [r.incident, r.target, r.measured, r.met ? 'yes' : '**no**']),
  );
}

function keptNotes(file: string): string {
  if (!existsSync(file)) return `${NOTES_MARKER}\n`;
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(NOTES_MARKER);
  return at === -1 ? `${NOTES_MARKER}\n` : text.slice(at);
}

export function writeReplayReport(dir: string, results: ReplayResults): void {
  const m = results.machine;
  const file = path.join(dir, 'RESULTS.md');
  const text = [
    '# Incident replay: results',
    '',
    'Written by `npm run replay` from `results.json`; what each incident, policy and figure means is in [README.md](README.md).',
    '',
    `- command: \`${results.command}\`, seed ${results.seed}, ${results.startedAt} to ${results.finishedAt}`,
    `- machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB, Node ${m.node}, ${m.platform}; load average ${m.loadAvg1m} at the start${results.quiet ? '' : '; a test suite was running on the machine'}`,
    '',
    '## Targets',
    '',
    targetsSection(results),
    '',
    ...results.incidents.map((inc) => incidentSection(inc, results)),
    keptNotes(file),
  ].join('\n');
  writeFileSync(file, tidyMarkdown(text));
  for (const inc of results.incidents) writeFileSync(path.join(dir, `${inc.name}.svg`), incidentChart(inc));
}

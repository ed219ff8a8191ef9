// `switchyard capacity` output: the /capacity document as one table per deployment.
// Pure (document and options in, text out) so it is tested without a terminal. Colour
// is an option: the command turns it on only for a TTY.
import type { CapacityDeploymentView, CapacityDocView, CapacityRegionView } from './capacity-doc.js';

export interface TableOptions {
  readonly colour: boolean;
  /** Where the document came from, for the heading. */
  readonly source: string;
}

type Paint = (text: string) => string;
const ESC = '\u001b[';
const ansi =
  (open: number, close: number): ((on: boolean) => Paint) =>
  (on) =>
    on ? (t) => `${ESC}${open}m${t}${ESC}${close}m` : (t) => t;
const bold = ansi(1, 22);
const dim = ansi(2, 22);
const green = ansi(32, 39);
const yellow = ansi(33, 39);
const red = ansi(31, 39);

// ANSI sequences take no columns; padding must ignore them.
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ANSI, '').length;
const pad = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - visible(s)));

const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const DASH = '-';

export function formatPercent(x: unknown): string {
  if (!num(x)) return DASH;
  const p = x * 100;
  return `${p === 0 || p === 100 || p >= 10 ? Math.round(p) : p.toFixed(1)}%`;
}

export function formatDuration(ms: unknown): string {
  if (!num(ms)) return DASH;
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 1 : 0)} s`;
  if (v < 3_600_000) return `${Math.floor(v / 60_000)} min ${Math.floor((v % 60_000) / 1000)} s`;
  return `${(v / 3_600_000).toFixed(1)} h`;
}

const quantity = (x: unknown): string =>
  num(x) ? String(Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 10) / 10) : DASH;

function headroom(r: CapacityRegionView): string {
  const value = num(r.headroom) ? r.headroom : r.room;
  if (r.estimate !== null && r.estimate !== undefined) {
    return `${quantity(value)} ${typeof r.estimate === 'string' ? r.estimate : 'estimate'}`;
  }
  return num(value) ? `${quantity(value)} reported` : DASH;
}

function telemetry(r: CapacityRegionView, c: boolean): string {
  // Which source measured the figures, when the router says (a JSON report alone needs no note).
  const by = typeof r.inUseSource === 'string' && r.inUseSource !== 'json' ? ` ${r.inUseSource}` : '';
  if (r.fresh === true) return `fresh ${formatDuration(r.ageMs)}${by}`;
  if (r.ageMs === null || r.ageMs === undefined) return yellow(c)('no data');
  return yellow(c)(`stale ${formatDuration(r.ageMs)}${by}`);
}

function state(r: CapacityRegionView, nowMs: number, c: boolean): string {
  const name = r.state ?? DASH;
  const paint = name === 'active' ? green(c) : name === 'ejected' ? red(c) : name === 'no-backend' ? dim(c) : yellow(c);
  const notes: string[] = [];
  if (num(r.weightFactor) && r.weightFactor < 1) notes.push(`weight ${formatPercent(r.weightFactor)}`);
  const until = typeof r.stateUntil === 'string' ? Date.parse(r.stateUntil) : Number.NaN;
  if (num(until)) notes.push(`${formatDuration(until - nowMs)} left`);
  if (typeof r.stateReason === 'string' && r.stateReason !== '') notes.push(r.stateReason);
  return notes.length === 0 ? paint(name) : `${paint(name)} ${dim(c)(`(${notes.join('; ')})`)}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? '')))) ?? [];
  // The last column (state and its reason) is not padded: it may be long and is last.
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join('  ')}`);
}

function deployment(d: CapacityDeploymentView, nowMs: number, c: boolean): string[] {
  const mode = d.mode ?? 'unknown';
  const modeText = mode === 'normal' ? green(c)('NORMAL') : yellow(c)(bold(c)(mode.toUpperCase()));
  const kind = [d.type, d.model].filter((x): x is string => typeof x === 'string').join(' ');
  // Requests is what a table means without saying; a token unit is named.
  const unit = typeof d.capacityUnit === 'string' && d.capacityUnit !== 'requests' ? `in ${d.capacityUnit}` : '';
  const title = [bold(c)(d.name ?? '(unnamed)'), kind, unit, modeText, `coverage ${formatPercent(d.coverage)}`];
  const lines = [title.filter((part) => part !== '').join('  ')];
  if (typeof d.reason === 'string') lines.push(`  ${mode === 'normal' ? d.reason : yellow(c)(d.reason)}`);
  const rej = d.rejection;
  if (rej !== null && rej !== undefined) {
    const after = num(rej.retryAfterS) ? ` with Retry-After ${rej.retryAfterS} s` : '';
    lines.push(`  ${red(c)(`clients get ${rej.status ?? DASH} ${rej.code ?? ''}${after}`)}`);
  }
  const queue = waitingLine(d, c);
  if (queue !== null) lines.push(queue);
  const header = ['REGION', 'SHARE', 'HEADROOM', 'TELEMETRY', 'STATE'].map((h) => dim(c)(h));
  const rows = (d.regions ?? []).map((r) => [
    r.region ?? DASH,
    formatPercent(r.share),
    headroom(r),
    telemetry(r, c),
    state(r, nowMs, c),
  ]);
  return [...lines, ...table([header, ...rows])];
}

/** Requests waiting for room, by priority; null when none waits (or the router has no admission). */
function waitingLine(d: CapacityDeploymentView, c: boolean): string | null {
  const a = d.admission;
  if (a === undefined || !num(a.waiting) || a.waiting === 0) return null;
  const bands = (a.byPriority ?? [])
    .map((b) => `priority ${b.priority ?? DASH}: ${b.waiting ?? DASH} (oldest ${formatDuration(b.oldestWaitMs)})`)
    .join(', ');
  const limit = num(a.maxWaitMs) ? ` of ${formatDuration(a.maxWaitMs)}` : '';
  return `  ${yellow(c)(`${a.waiting} waiting for room, oldest ${formatDuration(a.oldestWaitMs)}${limit}`)}${bands === '' ? '' : ` ${dim(c)(`(${bands})`)}`}`;
}

/** The whole document as text, one block per deployment. */
export function renderCapacityTable(doc: CapacityDocView, opts: TableOptions): string {
  const c = opts.colour;
  const generated = typeof doc.generatedAt === 'string' ? Date.parse(doc.generatedAt) : Number.NaN;
  const nowMs = num(generated) ? generated : Date.now();
  const t = doc.telemetry ?? {};
  const status = t.status ?? 'unknown';
  const statusText = status === 'ok' ? green(c)(status) : status === 'error' ? yellow(c)(status) : red(c)(status);
  const deployments = doc.deployments ?? [];
  const conservative = deployments.filter((d) => d.mode !== 'normal').map((d) => d.name ?? '(unnamed)');
  const out = [
    `${bold(c)('switchyard')} ${opts.source}${num(generated) ? ` at ${new Date(generated).toISOString()}` : ''}`,
    `telemetry ${statusText}, last success ${num(t.ageMs) ? `${formatDuration(t.ageMs)} ago` : 'never'}` +
      `, ${t.polls ?? DASH} polls, ${t.failures ?? DASH} failures` +
      (typeof t.lastError === 'string' && t.lastError !== '' ? `; last error: ${t.lastError}` : ''),
    `${deployments.length} deployments: ${deployments.length - conservative.length} normal, ` +
      (conservative.length === 0
        ? '0 conservative'
        : yellow(c)(`${conservative.length} conservative (${conservative.join(', ')})`)),
  ];
  const a = doc.affinity;
  if (a !== undefined && a !== null) {
    out.push(
      a.enabled === false
        ? 'stored state: affinity off'
        : `stored state: ${a.cacheEntries ?? DASH} homes cached (limit ${a.cacheLimit ?? DASH}), ` +
            `hit rate ${formatPercent(a.hitRate)} of ${num(a.hits) && num(a.misses) ? a.hits + a.misses : DASH} lookups`,
    );
  }
  for (const d of deployments) out.push('', ...deployment(d, nowMs, c));
  return `${out.join('\n')}\n`;
}

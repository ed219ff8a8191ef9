// bench/results.svg, written by hand (no charting dependency): workload A's req/s and
// proxy CPU per request per target, and workload B's p99 stream time per target.
import { num } from '../table.js';
import { SSE_PACING_MS } from './fleets.js';
import { find, type Results } from './summary.js';
import { TARGET_ORDER, type TargetName } from './targets.js';

interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | null>;
  readonly unit: string;
}

const W = 1000;
const H = 470;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A grouped bar chart in the box (x, y, w, h). With `sharedScale` false every series
 * gets its own scale (its largest bar is full height); values are printed on the bars.
 */
function panel(
  x: number,
  y: number,
  w: number,
  h: number,
  title: string,
  subtitle: string,
  groups: readonly string[],
  series: readonly Series[],
  sharedScale: boolean,
  refLine: { value: number; label: string } | null,
): string {
  const top = y + 52;
  const bottom = y + h - 40;
  const plotH = bottom - top;
  const maxOf = (vals: ReadonlyArray<number | null>): number =>
    Math.max(1e-9, ...vals.map((v) => (v === null || !Number.isFinite(v) ? 0 : v)));
  const shared = Math.max(maxOf(series.flatMap((s) => s.values)), refLine?.value ?? 0) * 1.12;
  const groupW = w / groups.length;
  const barW = Math.min(46, (groupW * 0.8) / series.length);
  const parts: string[] = [];
  parts.push(
    `<text x="${x + w / 2}" y="${y + 18}" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
  );
  parts.push(
    `<text x="${x + w / 2}" y="${y + 36}" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`,
  );
  parts.push(`<line x1="${x}" y1="${bottom}" x2="${x + w}" y2="${bottom}" stroke="#888"/>`);
  groups.forEach((g, gi) => {
    const gx = x + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi] ?? null;
      const scale = sharedScale ? shared : maxOf(s.values) * 1.12;
      const bx = gx + si * barW;
      if (v === null || !Number.isFinite(v)) {
        parts.push(
          `<text x="${bx + barW / 2}" y="${bottom - 4}" text-anchor="middle" font-size="10" fill="#999">n/a</text>`,
        );
        return;
      }
      const bh = Math.max(1, (v / scale) * plotH);
      parts.push(
        `<rect x="${bx + 2}" y="${bottom - bh}" width="${barW - 4}" height="${bh}" fill="${s.color}"><title>${esc(`${g}: ${s.name} ${num(v)} ${s.unit}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${bx + barW / 2}" y="${bottom - bh - 4}" text-anchor="middle" font-size="10">${esc(num(v))}</text>`,
      );
    });
    parts.push(
      `<text x="${x + gi * groupW + groupW / 2}" y="${bottom + 16}" text-anchor="middle" font-size="12">${esc(g)}</text>`,
    );
  });
  if (refLine !== null) {
    const ry = bottom - (refLine.value / shared) * plotH;
    parts.push(`<line x1="${x}" y1="${ry}" x2="${x + w}" y2="${ry}" stroke="#c00" stroke-dasharray="5 4"/>`);
    parts.push(
      `<text x="${x + w / 2}" y="${y + 48}" text-anchor="middle" font-size="11" fill="#c00">${esc(`dashed: ${refLine.label}`)}</text>`,
    );
  }
  // Legend.
  series.forEach((s, si) => {
    const lx = x + 10 + si * (w / series.length);
    parts.push(`<rect x="${lx}" y="${y + h - 16}" width="10" height="10" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${y + h - 7}" font-size="11">${esc(`${s.name} (${s.unit})`)}</text>`);
  });
  return parts.join('\n  ');
}

export function renderChart(r: Results): string {
  const targets = TARGET_ORDER.filter((t) => r.summaries.some((s) => s.target === t));
  const labels = targets.map((t) => t);
  const get = (
    w: 'A' | 'B200' | 'B2000',
    t: TargetName,
    f: (s: NonNullable<ReturnType<typeof find>>) => number | null,
  ): number | null => {
    const s = find(r.summaries, w, t);
    return s === undefined ? null : f(s);
  };
  const a = panel(
    20,
    40,
    W / 2 - 40,
    H - 60,
    'Workload A: 1 KB JSON, 50 connections',
    'median of rounds; each metric on its own scale',
    labels,
    [
      { name: 'req/s', color: '#4e79a7', unit: 'req/s', values: targets.map((t) => get('A', t, (s) => s.rps)) },
      {
        name: 'proxy CPU',
        color: '#f28e2b',
        unit: 'us/request',
        values: targets.map((t) => get('A', t, (s) => s.proxyCpuUsPerReq)),
      },
    ],
    false,
    null,
  );
  const b = panel(
    W / 2 + 20,
    40,
    W / 2 - 40,
    H - 60,
    `Workload B: SSE, p99 stream time`,
    `20 chunks, 25 ms apart; lower is better`,
    labels,
    [
      {
        name: '200 streams',
        color: '#59a14f',
        unit: 'ms p99',
        values: targets.map((t) => get('B200', t, (s) => s.p99)),
      },
      {
        name: '2,000 streams',
        color: '#b07aa1',
        unit: 'ms p99',
        values: targets.map((t) => get('B2000', t, (s) => s.p99)),
      },
    ],
    true,
    { value: SSE_PACING_MS, label: `backend pacing ${SSE_PACING_MS} ms` },
  );
  const caption = `switchyard load benchmark, ${r.date.slice(0, 10)}, ${r.machine.cpuModel} x${r.machine.cores}, Node ${r.machine.node}${r.quick ? ' (--quick smoke run)' : ''}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="${W / 2}" y="22" text-anchor="middle" font-size="13" fill="#333">${esc(caption)}</text>
  ${a}
  ${b}
</svg>
`;
}

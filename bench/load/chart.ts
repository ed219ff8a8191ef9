// bench/results.svg: workload A's req/s and proxy CPU per request per target, and
// workload B's p99 stream time per target.
import { el, esc, PALETTE, svgDocument, text } from '../../tools/svg.js';
import { num } from '../../tools/table.js';
import { SSE_PACING_MS } from './fleets.js';
import { find, type Results, type Summary } from './summary.js';
import { TARGET_ORDER, type TargetName } from './targets.js';

interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | null>;
  readonly unit: string;
}

const W = 1000;
const H = 470;

/**
 * A grouped bar chart in half the chart, from `x`; values are printed on the bars. With a
 * reference line every series shares one scale; without, each series gets its own (its
 * largest bar is full height).
 */
function panel(
  x: number,
  groups: readonly string[],
  titles: readonly [string, string],
  series: readonly Series[],
  refLine: { value: number; label: string } | null = null,
): string {
  const [title, subtitle] = titles;
  const sharedScale = refLine !== null;
  const [y, w, h] = [40, W / 2 - 40, H - 60];
  const top = y + 52;
  const bottom = y + h - 40;
  const plotH = bottom - top;
  const maxOf = (vals: ReadonlyArray<number | null>): number =>
    Math.max(1e-9, ...vals.map((v) => (v === null || !Number.isFinite(v) ? 0 : v)));
  const shared = Math.max(maxOf(series.flatMap((s) => s.values)), refLine?.value ?? 0) * 1.12;
  const groupW = w / groups.length;
  const barW = Math.min(46, (groupW * 0.8) / series.length);
  const middle = { 'text-anchor': 'middle' } as const;
  const parts: string[] = [
    text({ x: x + w / 2, y: y + 18, ...middle, 'font-size': 15, 'font-weight': 600 }, title),
    text({ x: x + w / 2, y: y + 36, ...middle, 'font-size': 11, fill: PALETTE.subtitle }, subtitle),
    el('line', { x1: x, y1: bottom, x2: x + w, y2: bottom, stroke: PALETTE.axis }),
  ];
  groups.forEach((g, gi) => {
    const gx = x + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi] ?? null;
      const scale = sharedScale ? shared : maxOf(s.values) * 1.12;
      const bx = gx + si * barW;
      if (v === null || !Number.isFinite(v)) {
        parts.push(text({ x: bx + barW / 2, y: bottom - 4, ...middle, 'font-size': 10, fill: PALETTE.missing }, 'n/a'));
        return;
      }
      const bh = Math.max(1, (v / scale) * plotH);
      const tip = el('title', {}, esc(`${g}: ${s.name} ${num(v)} ${s.unit}`));
      parts.push(el('rect', { x: bx + 2, y: bottom - bh, width: barW - 4, height: bh, fill: s.color }, tip));
      parts.push(text({ x: bx + barW / 2, y: bottom - bh - 4, ...middle, 'font-size': 10 }, num(v)));
    });
    parts.push(text({ x: x + gi * groupW + groupW / 2, y: bottom + 16, ...middle, 'font-size': 12 }, g));
  });
  if (refLine !== null) {
    const ry = bottom - (refLine.value / shared) * plotH;
    parts.push(el('line', { x1: x, y1: ry, x2: x + w, y2: ry, stroke: PALETTE.bound, 'stroke-dasharray': '5 4' }));
    parts.push(
      text({ x: x + w / 2, y: y + 48, ...middle, 'font-size': 11, fill: PALETTE.bound }, `dashed: ${refLine.label}`),
    );
  }
  // Legend.
  series.forEach((s, si) => {
    const lx = x + 10 + si * (w / series.length);
    parts.push(el('rect', { x: lx, y: y + h - 16, width: 10, height: 10, fill: s.color }));
    parts.push(text({ x: lx + 14, y: y + h - 7, 'font-size': 11 }, `${s.name} (${s.unit})`));
  });
  return parts.join('\n  ');
}

export function renderChart(r: Results): string {
  const targets = TARGET_ORDER.filter((t) => r.summaries.some((s) => s.target === t));
  const series = (
    name: string,
    color: string,
    unit: string,
    w: 'A' | 'B200' | 'B2000',
    f: (s: Summary) => number | null,
  ): Series => ({
    name,
    color,
    unit,
    values: targets.map((t: TargetName) => {
      const s = find(r.summaries, w, t);
      return s === undefined ? null : f(s);
    }),
  });
  const a = panel(
    20,
    targets,
    ['Workload A: 1 KB JSON, 50 connections', 'median of rounds; each metric on its own scale'],
    [
      series('req/s', PALETTE.steel, 'req/s', 'A', (s) => s.rps),
      series('proxy CPU', PALETTE.orange, 'us/request', 'A', (s) => s.proxyCpuUsPerReq),
    ],
  );
  const pacing = { value: SSE_PACING_MS, label: `backend pacing ${SSE_PACING_MS} ms` };
  const b = panel(
    W / 2 + 20,
    targets,
    ['Workload B: SSE, p99 stream time', '20 chunks, 25 ms apart; lower is better'],
    [
      series('200 streams', PALETTE.leaf, 'ms p99', 'B200', (s) => s.p99),
      series('2,000 streams', PALETTE.mauve, 'ms p99', 'B2000', (s) => s.p99),
    ],
    pacing,
  );
  const caption = `switchyard load benchmark, ${r.date.slice(0, 10)}, ${r.machine.cpuModel} x${r.machine.cores}, Node ${r.machine.node}${r.quick ? ' (--quick smoke run)' : ''}`;
  const captionText = text(
    { x: W / 2, y: 22, 'text-anchor': 'middle', 'font-size': 13, fill: PALETTE.caption },
    caption,
  );
  return svgDocument(W, H, [captionText, a, b], {
    font: true,
    background: PALETTE.backgroundShort,
    separator: '\n  ',
  });
}

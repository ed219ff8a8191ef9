// One SVG per incident: for each policy a panel with the share of upstream attempts each
// region received (stacked, 0 to 1) and the fraction of requests that failed in the end
// (black line, by the time they were sent), the fault shaded.
import { el, FONT, PAIRED_COLOURS, PALETTE, svgDocument, text } from '../tools/svg.js';
import type { IncidentResult, PolicyResult } from './types.js';

const WIDTH = 860;
const PANEL_H = 150;
const LEFT = 150;
const RIGHT = 20;
const TOP = 40;
const colour = (i: number): string => PAIRED_COLOURS[i % PAIRED_COLOURS.length] as string;

function panel(inc: IncidentResult, p: PolicyResult, y: number): string {
  const w = WIDTH - LEFT - RIGHT;
  const h = PANEL_H - 30;
  const { binS, shares, failureRate } = p.series;
  const n = shares.length;
  const x = (i: number): number => LEFT + (i / n) * w;
  const yv = (v: number): number => y + h - v * h;
  const at = (i: number, v: number): string => `${x(i).toFixed(1)},${yv(v).toFixed(1)}`;
  const { startS, endS } = inc.fault;
  const out = [
    el('rect', {
      x: x(startS / binS).toFixed(1),
      y,
      width: (((endS - startS) / binS / n) * w).toFixed(1),
      height: h,
      fill: PALETTE.fault,
    }),
  ];
  // Stacked areas: region k fills between the sum of regions < k and <= k.
  const base = new Array<number>(n).fill(0);
  inc.regions.forEach((_, k) => {
    const lower = [...base];
    for (let i = 0; i < n; i++) base[i] = (base[i] as number) + ((shares[i] as readonly number[])[k] ?? 0);
    const top = base.map((v, i) => `${at(i, v)} ${at(i + 1, v)}`);
    const bottom = lower.map((v, i) => `${at(i + 1, v)} ${at(i, v)}`).reverse();
    const points = [...top, ...bottom].join(' ');
    out.push(el('polygon', { points, fill: colour(k), 'fill-opacity': 0.55, stroke: 'none' }));
  });
  const line = failureRate
    .map((r, i) => (r === null ? null : `${x(i + 0.5).toFixed(1)},${yv(r).toFixed(1)}`))
    .filter((s) => s !== null)
    .join(' ');
  out.push(el('polyline', { points: line, fill: 'none', stroke: PALETTE.ink, 'stroke-width': 2 }));
  out.push(el('rect', { x: LEFT, y, width: w, height: h, fill: 'none', stroke: PALETTE.frame }));
  for (const g of [0, 0.5, 1])
    out.push(text({ x: LEFT - 4, y: yv(g) + 4, 'text-anchor': 'end', 'font-size': 10, ...FONT }, g));
  out.push(
    text({ x: 8, y: y + 16, 'font-size': 12, 'font-weight': 600, ...FONT }, p.policy),
    text({ x: 8, y: y + 32, 'font-size': 11, ...FONT }, `failed ${(100 * p.failedRate).toFixed(2)}%`),
    text({ x: 8, y: y + 46, 'font-size': 11, ...FONT }, `amplification ${p.retryAmplification}`),
  );
  for (let s = 0; s <= inc.seconds; s += 5) {
    out.push(
      text({ x: x(s / binS).toFixed(1), y: y + h + 12, 'text-anchor': 'middle', 'font-size': 10, ...FONT }, `${s} s`),
    );
  }
  return out.join('');
}

export function incidentChart(inc: IncidentResult): string {
  const height = TOP + inc.policies.length * PANEL_H + 40;
  const title = `${inc.name}: share of upstream attempts per region (stacked) and failed requests (black line); fault shaded`;
  const legend = inc.regions.map(
    (r, i) =>
      el('rect', { x: LEFT + i * 100, y: height - 28, width: 12, height: 12, fill: colour(i), 'fill-opacity': 0.55 }) +
      text({ x: LEFT + 16 + i * 100, y: height - 18, 'font-size': 11, ...FONT }, r),
  );
  return svgDocument(WIDTH, height, [
    text({ x: 8, y: 22, 'font-size': 13, 'font-weight': 600, ...FONT }, title),
    ...inc.policies.map((p, i) => panel(inc, p, TOP + i * PANEL_H)),
    ...legend,
  ]);
}

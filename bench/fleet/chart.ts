// shares.svg: planned shares and true utilisation per region over a run, one panel per
// charted run (fleet a at 0.8; one and four routers; this build and an earlier one).
import { el, FONT, PALETTE, SERIES_COLOURS, svgDocument, text } from '../../tools/svg.js';
import type { RunSeries } from './types.js';

const PANEL_W = 470;
const PANEL_H = 190;
const colour = (i: number): string => SERIES_COLOURS[i % SERIES_COLOURS.length] as string;

function line(
  values: readonly number[],
  ts: readonly number[],
  box: { x: number; y: number; w: number; h: number },
  maxT: number,
  maxV: number,
): string {
  return values
    .map((v, i) => {
      const px = box.x + ((ts[i] as number) / maxT) * box.w;
      const py = box.y + box.h - (Math.min(v, maxV) / maxV) * box.h;
      return `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`;
    })
    .join(' ');
}

function panel(s: RunSeries, x: number, y: number, which: 'shares' | 'utilisation'): string {
  const box = { x: x + 40, y: y + 30, w: PANEL_W - 60, h: PANEL_H - 60 };
  const ts = s.points.map((p) => p.t);
  const maxT = Math.max(1, ...ts);
  const maxV = which === 'shares' ? 1 : 1.05;
  const title = `${which === 'shares' ? 'planned share' : 'utilisation'} - ${s.build === 'current' ? 'switchyard' : s.build}, ${s.routers} router${s.routers === 1 ? '' : 's'}`;
  const paths = s.regions.map((_, r) => {
    const values = s.points.map((p) => (which === 'shares' ? p.shares[r] : p.utilisation[r]) ?? 0);
    const d = line(values, ts, box, maxT, maxV);
    return el('path', { d, fill: 'none', stroke: colour(r), 'stroke-width': 1.3 });
  });
  const grid = [0, 0.5, 1].map((g) => {
    const gy = box.y + box.h - (g / maxV) * box.h;
    return (
      el('line', { x1: box.x, x2: box.x + box.w, y1: gy, y2: gy, stroke: PALETTE.grid }) +
      text({ x: box.x - 6, y: gy + 4, 'text-anchor': 'end', 'font-size': 10, ...FONT }, g)
    );
  });
  const end = text(
    { x: box.x + box.w, y: box.y + box.h + 16, 'text-anchor': 'end', 'font-size': 10, ...FONT },
    `${(maxT / 1000).toFixed(0)} s`,
  );
  const heading = text({ x: box.x, y: y + 18, 'font-size': 12, 'font-weight': 600, ...FONT }, title);
  return el('g', {}, [heading, ...grid, ...paths, end].join(''));
}

export function fleetChart(series: readonly RunSeries[]): string {
  const height = series.length * PANEL_H + 60;
  const legend = (series[0]?.regions ?? []).map(
    (r, i) =>
      el('rect', { x: 20 + i * 110, y: height - 30, width: 12, height: 12, fill: colour(i) }) +
      text({ x: 36 + i * 110, y: height - 20, 'font-size': 11, ...FONT }, r),
  );
  const panels = series.map(
    (s, i) => panel(s, 0, i * PANEL_H, 'shares') + panel(s, PANEL_W, i * PANEL_H, 'utilisation'),
  );
  return svgDocument(PANEL_W * 2, height, [...panels, ...legend]);
}

// shares.svg: planned shares and true utilisation per region over a run, one panel per
// charted run (fleet a at 0.8; one and four routers; this build and an earlier one).
// Plain SVG written by hand: no charting dependency.
import type { RunSeries } from './types.js';

const COLORS = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d'];
const PANEL_W = 470;
const PANEL_H = 190;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function line(
  values: readonly number[],
  ts: readonly number[],
  x: number,
  y: number,
  w: number,
  h: number,
  maxT: number,
  maxV: number,
): string {
  return values
    .map((v, i) => {
      const px = x + ((ts[i] as number) / maxT) * w;
      const py = y + h - (Math.min(v, maxV) / maxV) * h;
      return `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`;
    })
    .join(' ');
}

function panel(s: RunSeries, x: number, y: number, which: 'shares' | 'utilisation'): string {
  const top = y + 30;
  const w = PANEL_W - 60;
  const h = PANEL_H - 60;
  const left = x + 40;
  const ts = s.points.map((p) => p.t);
  const maxT = Math.max(1, ...ts);
  const maxV = which === 'shares' ? 1 : 1.05;
  const title = `${which === 'shares' ? 'planned share' : 'utilisation'} - ${s.build === 'current' ? 'switchyard' : s.build}, ${s.routers} router${s.routers === 1 ? '' : 's'}`;
  const paths = s.regions
    .map((_, r) => {
      const values = s.points.map((p) => (which === 'shares' ? p.shares[r] : p.utilisation[r]) ?? 0);
      return `<path d="${line(values, ts, left, top, w, h, maxT, maxV)}" fill="none" stroke="${COLORS[r % COLORS.length]}" stroke-width="1.3"/>`;
    })
    .join('');
  const grid = [0, 0.5, 1]
    .map((g) => {
      const gy = top + h - (g / maxV) * h;
      return `<line x1="${left}" x2="${left + w}" y1="${gy}" y2="${gy}" stroke="#e5e7eb"/><text x="${left - 6}" y="${gy + 4}" text-anchor="end" font-size="10" ${FONT}>${g}</text>`;
    })
    .join('');
  return `<g><text x="${left}" y="${y + 18}" font-size="12" font-weight="600" ${FONT}>${esc(title)}</text>${grid}${paths}<text x="${left + w}" y="${top + h + 16}" text-anchor="end" font-size="10" ${FONT}>${(maxT / 1000).toFixed(0)} s</text></g>`;
}

export function fleetChart(series: readonly RunSeries[]): string {
  const rows = series.length;
  const height = rows * PANEL_H + 60;
  const width = PANEL_W * 2;
  const regions = series[0]?.regions ?? [];
  const legend = regions
    .map(
      (r, i) =>
        `<rect x="${20 + i * 110}" y="${height - 30}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${36 + i * 110}" y="${height - 20}" font-size="11" ${FONT}>${esc(r)}</text>`,
    )
    .join('');
  const panels = series
    .map((s, i) => panel(s, 0, i * PANEL_H, 'shares') + panel(s, PANEL_W, i * PANEL_H, 'utilisation'))
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>${panels}${legend}</svg>\n`;
}

// One SVG per incident: for each policy a panel with the share of upstream attempts each
// region received (stacked, 0 to 1) and the fraction of requests that failed in the end
// (black line, by the time they were sent), the fault shaded. Plain SVG by hand.
import type { IncidentResult, PolicyResult } from './types.js';

const COLORS = ['#2563eb', '#60a5fa', '#d97706', '#fbbf24', '#059669', '#34d399', '#6ee7b7'];
const WIDTH = 860;
const PANEL_H = 150;
const LEFT = 150;
const RIGHT = 20;
const TOP = 40;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(inc: IncidentResult, p: PolicyResult, y: number): string {
  const w = WIDTH - LEFT - RIGHT;
  const h = PANEL_H - 30;
  const { binS, shares, failureRate } = p.series;
  const n = shares.length;
  const x = (i: number): number => LEFT + (i / n) * w;
  const yv = (v: number): number => y + h - v * h;
  const out: string[] = [];
  const band = (s: number, e: number): string =>
    `<rect x="${x(s / binS).toFixed(1)}" y="${y}" width="${(((e - s) / binS / n) * w).toFixed(1)}" height="${h}" fill="#fee2e2"/>`;
  out.push(band(inc.fault.startS, inc.fault.endS));
  // Stacked areas: region k fills between the sum of regions < k and <= k.
  const base = new Array<number>(n).fill(0);
  inc.regions.forEach((_, k) => {
    const lower = [...base];
    for (let i = 0; i < n; i++) base[i] = (base[i] as number) + ((shares[i] as readonly number[])[k] ?? 0);
    const top = base.map((v, i) => `${x(i).toFixed(1)},${yv(v).toFixed(1)} ${x(i + 1).toFixed(1)},${yv(v).toFixed(1)}`);
    const bottom = lower
      .map((v, i) => `${x(i + 1).toFixed(1)},${yv(v).toFixed(1)} ${x(i).toFixed(1)},${yv(v).toFixed(1)}`)
      .reverse();
    out.push(
      `<polygon points="${[...top, ...bottom].join(' ')}" fill="${COLORS[k % COLORS.length]}" fill-opacity="0.55" stroke="none"/>`,
    );
  });
  const line = failureRate
    .map((r, i) => (r === null ? null : `${x(i + 0.5).toFixed(1)},${yv(r).toFixed(1)}`))
    .filter((s) => s !== null)
    .join(' ');
  out.push(`<polyline points="${line}" fill="none" stroke="#111827" stroke-width="2"/>`);
  out.push(`<rect x="${LEFT}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#9ca3af"/>`);
  for (const g of [0, 0.5, 1]) {
    out.push(`<text x="${LEFT - 4}" y="${yv(g) + 4}" text-anchor="end" font-size="10" ${FONT}>${g}</text>`);
  }
  out.push(
    `<text x="8" y="${y + 16}" font-size="12" font-weight="600" ${FONT}>${esc(p.policy)}</text>`,
    `<text x="8" y="${y + 32}" font-size="11" ${FONT}>failed ${(100 * p.failedRate).toFixed(2)}%</text>`,
    `<text x="8" y="${y + 46}" font-size="11" ${FONT}>amplification ${p.retryAmplification}</text>`,
  );
  for (let s = 0; s <= inc.seconds; s += 5) {
    out.push(
      `<text x="${x(s / binS).toFixed(1)}" y="${y + h + 12}" text-anchor="middle" font-size="10" ${FONT}>${s} s</text>`,
    );
  }
  return out.join('');
}

export function incidentChart(inc: IncidentResult): string {
  const height = TOP + inc.policies.length * PANEL_H + 40;
  const title = `${inc.name}: share of upstream attempts per region (stacked) and failed requests (black line); fault shaded`;
  const legend = inc.regions
    .map(
      (r, i) =>
        `<rect x="${LEFT + i * 100}" y="${height - 28}" width="12" height="12" fill="${COLORS[i % COLORS.length]}" fill-opacity="0.55"/><text x="${LEFT + 16 + i * 100}" y="${height - 18}" font-size="11" ${FONT}>${esc(r)}</text>`,
    )
    .join('');
  const panels = inc.policies.map((p, i) => panel(inc, p, TOP + i * PANEL_H)).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}"><rect width="100%" height="100%" fill="white"/><text x="8" y="22" font-size="13" font-weight="600" ${FONT}>${esc(title)}</text>${panels}${legend}</svg>\n`;
}

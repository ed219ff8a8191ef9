// The dashboard's stylesheet, inlined into the page (no external fonts or files). System
// fonts, light and dark schemes, and a region table that turns into stacked rows on a
// phone instead of scrolling sideways.
export const DASHBOARD_CSS = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --text: #1d2330; --muted: #5d6678; --line: #dde1e8;
  --ok: #1f7a3a; --ok-bg: #e3f4e8; --warn: #8a5a00; --warn-bg: #fff1d0; --bad: #a8261d; --bad-bg: #fde4e1;
  --bar: #c9d3e3; --shade: rgba(230, 160, 20, 0.18);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --card: #1b1f27; --text: #e6e9ef; --muted: #9aa3b5; --line: #2c323d;
    --ok: #6fd28d; --ok-bg: #173624; --warn: #f2c15a; --warn-bg: #3a2d0e; --bad: #ff8a80; --bad-bg: #3d1714;
    --bar: #3a4352; --shade: rgba(242, 193, 90, 0.16);
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header {
  position: sticky; top: 0; z-index: 1; background: var(--card); border-bottom: 1px solid var(--line);
  padding: 10px 16px; display: flex; flex-wrap: wrap; gap: 6px 20px; align-items: baseline;
}
header h1 { font-size: 18px; margin: 0; }
header .line { color: var(--muted); }
header .line b { color: var(--text); font-weight: 600; }
main { padding: 12px; display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); }
.empty { color: var(--muted); padding: 24px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.card.mode-conservative { border-color: var(--warn); box-shadow: inset 4px 0 0 var(--warn); }
.card-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; }
.card-head h2 { font-size: 16px; margin: 0; }
.meta { color: var(--muted); overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
.badge.normal, .badge.ok, .badge.active { background: var(--ok-bg); color: var(--ok); }
.badge.conservative, .badge.error, .badge.cooldown, .badge.slow-start, .badge.suspect { background: var(--warn-bg); color: var(--warn); }
.badge.stale, .badge.ejected, .badge.down { background: var(--bad-bg); color: var(--bad); }
.badge.no-backend, .badge.unknown { background: var(--line); color: var(--muted); }
.card-head .badge.mode { margin-left: auto; }
.reason { margin: 6px 0; overflow-wrap: anywhere; }
.mode-conservative .reason { color: var(--warn); font-weight: 600; }
.queue { margin: 6px 0; padding: 4px 8px; border-radius: 4px; background: var(--warn-bg); color: var(--warn); }
.rejection { margin: 6px 0; padding: 4px 8px; border-radius: 4px; background: var(--bad-bg); color: var(--bad); }
.coverage { display: flex; align-items: center; gap: 8px; color: var(--muted); }
.bar { position: relative; flex: 1; height: 6px; min-width: 48px; background: var(--line); border-radius: 3px; overflow: hidden; }
.bar > span { position: absolute; inset: 0 auto 0 0; background: var(--bar); }
.mode-normal .coverage .bar > span { background: var(--ok); }
.mode-conservative .coverage .bar > span { background: var(--warn); }
table { width: 100%; border-collapse: collapse; margin-top: 8px; }
th { white-space: nowrap; text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; border-bottom: 1px solid var(--line); padding: 4px 6px; }
td { vertical-align: top; padding: 5px 6px; border-bottom: 1px solid var(--line); }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.region-name { white-space: nowrap; font-weight: 600; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.share .bar { margin-top: 3px; }
.sub { display: block; color: var(--muted); font-size: 12px; overflow-wrap: anywhere; white-space: normal; }
/* A safety net: a table wider than its card scrolls inside the card, never the page. */
.table-wrap { overflow-x: auto; }
.stale-text { color: var(--warn); font-weight: 600; }
.src { display: block; }
tr.state-no-backend td { color: var(--muted); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin-top: 10px; }
.chart h3 { font-size: 12px; font-weight: 600; color: var(--muted); margin: 0 0 2px; display: flex; justify-content: space-between; gap: 6px; }
.chart svg { display: block; width: 100%; height: 96px; background: var(--bg); border-radius: 4px; }
.axis { display: flex; justify-content: space-between; color: var(--muted); font-size: 11px; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 12px; color: var(--muted); font-size: 12px; margin-top: 6px; }
.legend .shade { display: inline-block; width: 12px; height: 10px; background: var(--shade); border: 1px solid var(--warn); margin-right: 4px; vertical-align: -1px; }
@media (max-width: 700px) {
  header { position: static; padding: 8px 10px; }
  main { padding: 8px; gap: 8px; }
  .card { padding: 10px; }
  .charts { grid-template-columns: 1fr; }
  /* Each region becomes a small two-column block: name, then label/value pairs. */
  .table-wrap { overflow-x: visible; }
  table, tbody { display: block; }
  thead { display: none; }
  tr { display: grid; grid-template-columns: 1fr 1fr; gap: 2px 12px; padding: 6px 0; border-bottom: 1px solid var(--line); }
  td { display: block; border: 0; padding: 0; }
  td > div { display: inline; }
  td::before { content: attr(data-label) " "; color: var(--muted); font-size: 12px; }
  td:first-child { grid-column: 1 / -1; }
  td:first-child::before { content: none; }
  td.num { white-space: normal; }
}
`;

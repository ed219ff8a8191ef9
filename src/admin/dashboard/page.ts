// GET / on the admin listener: one self-contained HTML page (inline style and script,
// no external fonts, scripts or images) that renders /capacity and /history live. A
// Content-Security-Policy that allows only this page's own script and style, and
// requests to its own origin, makes "self-contained" a property the browser enforces.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { DASHBOARD_SCRIPT } from './script.js';
import { DASHBOARD_CSS } from './styles.js';

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>switchyard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_CSS}</style>
</head>
<body data-live="false">
<header>
<h1>switchyard</h1>
<span id="live" class="line">connecting to the admin listener\u2026</span>
<span id="summary" class="line"></span>
<span id="telemetry" class="line"></span>
<span id="resilience" class="line"></span>
</header>
<main id="deployments"><p class="empty">waiting for the first answer from /capacity\u2026</p></main>
<noscript><p class="empty">This page needs JavaScript; the same state is at /capacity as JSON.</p></noscript>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;

export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_CSS)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const BODY = Buffer.from(DASHBOARD_HTML, 'utf8');

export function sendDashboard(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': BODY.length,
    'cache-control': 'no-store',
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(BODY);
}

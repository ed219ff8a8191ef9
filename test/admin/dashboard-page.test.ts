import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { DASHBOARD_SCRIPT } from '../../src/admin/dashboard/script.js';
import { baseConfig, startRouter } from '../helpers/router-harness.js';

const CONFIG = baseConfig({
  zones: { eu: ['norwayeast', 'swedencentral'] },
  backends: [
    { region: 'norwayeast', url: 'http://127.0.0.1:9' },
    { region: 'swedencentral', url: 'http://127.0.0.1:9' },
  ],
  deployments: [{ name: 'chat-eu', model: 'm', type: 'datazone', zone: 'eu' }],
  telemetry: { url: 'http://127.0.0.1:9/telemetry', intervalMs: 1000 },
  log: { level: 'silent' },
});

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

test('GET / is one self-contained page whose inline script and style are the only ones its CSP allows', async (t) => {
  const r = await startRouter(CONFIG);
  t.after(() => r.stop());
  const res = await fetch(`${r.adminUrl}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8$/);
  const html = await res.text();
  const csp = res.headers.get('content-security-policy') ?? '';

  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 1);
  assert.equal(styles.length, 1);
  assert.match(csp, new RegExp(`script-src ${sha256(scripts[0]!).replace(/[+/]/g, '\\$&')}(;|$)`));
  assert.match(csp, new RegExp(`style-src ${sha256(styles[0]!).replace(/[+/]/g, '\\$&')}(;|$)`));
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);

  // Nothing is loaded from elsewhere: no src/href to another origin, no CSS imports or urls.
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /@import|url\(/i);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
});

test('the page script is valid JavaScript on its own and reads only relative admin paths', () => {
  assert.doesNotThrow(() => new Script(DASHBOARD_SCRIPT, { filename: 'dashboard.js' }));
  const fetched = [...DASHBOARD_SCRIPT.matchAll(/getJson\('([^']+)'/g)].map((m) => m[1]);
  assert.deepEqual(fetched, ['capacity', 'history?since=']);
});

test('GET /history answers the sampled layout compactly, and ?since= filters old samples', async (t) => {
  const r = await startRouter(CONFIG);
  t.after(() => r.stop());
  r.router.history.stop(); // samples only when this test says so
  r.router.history.sample(Date.now());
  const res = await fetch(`${r.adminUrl}/history`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(!text.includes('\n'), 'compact JSON');
  const doc = JSON.parse(text) as { deployments: unknown; samples: Array<{ at: number; modes: number[] }> };
  assert.deepEqual(doc.deployments, [{ name: 'chat-eu', regions: ['norwayeast', 'swedencentral'] }]);
  assert.ok(doc.samples.length >= 1);
  assert.deepEqual(doc.samples.at(-1)!.modes, [1], 'no telemetry yet: conservative');
  const later = (await (await fetch(`${r.adminUrl}/history?since=${doc.samples.at(-1)!.at}`)).json()) as {
    samples: unknown[];
  };
  assert.equal(later.samples.length, 0);
});

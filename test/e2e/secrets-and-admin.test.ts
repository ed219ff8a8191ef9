// Credentials in URLs are redacted wherever the router shows a URL, and the admin
// listener can require a bearer token (everything but /healthz and /readyz).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeBackend } from '../helpers/fake-backend.js';
import { baseConfig, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 's3cret-value-77';

test('no query value of telemetry.url shows on /capacity or in the logs, whatever its key is called', async (t) => {
  const source = await startFakeBackend((_req, res) => {
    res.writeHead(500);
    res.end();
  });
  const r = await startRouter(
    baseConfig({
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: 'http://127.0.0.1:9' }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: {
        // `code` is how an Azure Function takes its key: no secret-looking name.
        url: `http://ops:${SECRET}@${source.url.slice(7)}/telemetry?api-version=2024-10-21&code=${SECRET}&access_token=${SECRET}&sig=${SECRET}`,
        intervalMs: 50,
      },
      log: { level: 'info', requests: true },
    }),
  );
  t.after(async () => {
    await r.stop();
    await source.close();
  });
  await waitFor('a failed poll logged', () =>
    r.logs.some((l) => l.msg === 'telemetry poll failed; keeping last good data'),
  );
  const capacity = await (await fetch(`${r.adminUrl}/capacity`)).text();
  assert.doesNotMatch(capacity, new RegExp(SECRET));
  assert.match(capacity, /api-version=2024-10-21&code=REDACTED/, 'harmless query keys stay readable');
  // The data plane's access log redacts the same way.
  await (
    await fetch(`${r.url}/v1/chat/completions?code=${SECRET}&api-key=${SECRET}`, { method: 'POST', body: '{}' })
  ).text();
  await waitFor('an access log line', () => r.logs.some((l) => l.msg === 'request'));
  assert.doesNotMatch(JSON.stringify(r.logs), new RegExp(SECRET));
  assert.ok(
    r.logs.some((l) => l.msg === 'request' && l.path === '/v1/chat/completions?code=REDACTED&api-key=REDACTED'),
  );
});

test('admin.token guards every admin path but /healthz and /readyz', async (t) => {
  process.env.SWITCHYARD_TEST_ADMIN_TOKEN = 'tok-123456789';
  t.after(() => {
    delete process.env.SWITCHYARD_TEST_ADMIN_TOKEN;
  });
  const r = await startRouter(
    baseConfig({
      admin: { host: '127.0.0.1', port: 0, token: '${SWITCHYARD_TEST_ADMIN_TOKEN}' },
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: 'http://127.0.0.1:9' }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: 'http://127.0.0.1:9/telemetry' },
    }),
  );
  t.after(() => r.stop());
  const get = (path: string, authorization?: string) =>
    fetch(`${r.adminUrl}${path}`, { headers: authorization === undefined ? {} : { authorization } });
  for (const path of ['/capacity', '/metrics', '/nope', '/']) {
    for (const auth of [undefined, 'Bearer wrong', 'Bearer tok-12345678', 'Basic tok-123456789', 'tok-123456789']) {
      const res = await get(path, auth);
      assert.equal(res.status, 401, `${path} with ${String(auth)}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'Unauthorized');
    }
  }
  const ok = await get('/capacity', 'Bearer tok-123456789');
  assert.equal(ok.status, 200);
  await ok.text();
  assert.equal((await get('/metrics', 'bearer tok-123456789')).status, 200, 'the scheme is case-insensitive');
  for (const path of ['/healthz', '/readyz']) assert.equal((await get(path)).status, 200, path);
});

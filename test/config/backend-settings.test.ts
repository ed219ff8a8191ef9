// A backend's own settings (headers, deploymentNames, tls): defaults, ${NAME}
// expansion, and every problem named with its key path, never quoting a header value.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { contractExample } from '../helpers/config-fixtures.js';

// A self-signed CA certificate (no key): what caFile must hold. Only parsed, never trusted.
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBoDCCAUWgAwIBAgIUW1mcN6+XU6VWfY8tb/VT+lZYn5AwCgYIKoZIzj0EAwIw
JDEiMCAGA1UEAwwZc3dpdGNoeWFyZCBjb25maWcgdGVzdCBDQTAgFw0yNjExMzAw
MzU3MjNaGA8yMTI2MTEwNjAzNTcyM1owJDEiMCAGA1UEAwwZc3dpdGNoeWFyZCBj
b25maWcgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBAHON63+tuq
QdAHZ7efwqLXTxzLMudEwO7Atg6NesyYzEk82O0LgZnz5UzoV1SKTUFv6ucqf/PZ
/i4C9eLTQ52jUzBRMB0GA1UdDgQWBBRiNOa+sQ785yMbA/1mjt8U2aWzzjAfBgNV
HSMEGDAWgBRiNOa+sQ785yMbA/1mjt8U2aWzzjAPBgNVHRMBAf8EBTADAQH/MAoG
CCqGSM49BAMCA0kAMEYCIQD1AaWX6hcVQee+BRiqdskyhzf739PyMvr3/juGAv3D
fQIhAM0LMyNTtFVJoj9sWNZYNRT/gU238W2DTJqZPLfTY4PJ
-----END CERTIFICATE-----
`;

/** The contract's example with its first backend replaced. */
function withBackend(backend: Record<string, unknown>) {
  const raw = contractExample();
  return { ...raw, backends: [backend, raw.backends[1]!] };
}

function errorsOf(raw: unknown, env: Record<string, string | undefined> = {}, baseDir?: string): string[] {
  const result = validateConfig(raw, env, baseDir);
  return result.ok ? [] : result.errors;
}

test('a backend without settings gets empty headers and names, and no tls', () => {
  const result = validateConfig(contractExample(), {});
  assert.ok(result.ok);
  assert.deepEqual(result.config.backends[0], {
    region: 'eastus2',
    url: 'http://127.0.0.1:9001',
    headers: {},
    deploymentNames: {},
    tls: null,
  });
});

test('headers: names lower-cased, ${NAME} expanded from the environment', () => {
  const result = validateConfig(
    withBackend({
      region: 'eastus2',
      url: 'https://myres-eastus2.openai.azure.com',
      headers: { 'Api-Key': '${KEY_EASTUS2}', 'x-team': 'search ${TEAM}' },
    }),
    { KEY_EASTUS2: 'k-123', TEAM: 'blue' },
  );
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  assert.deepEqual(result.config.backends[0]?.headers, { 'api-key': 'k-123', 'x-team': 'search blue' });
});

test('headers: every problem listed, no value ever quoted back', () => {
  const secret = 'sk-literal-secret';
  const errors = errorsOf(
    withBackend({
      region: 'eastus2',
      url: 'http://127.0.0.1:9001',
      headers: {
        'api-key': '${KEY_NOT_SET}',
        Authorization: `Bearer ${secret}\n`,
        authorization: 'again',
        Host: 'example.com',
        'bad name': 'x',
        'x-number': 42,
        'x-empty': '${EMPTY}',
      },
    }),
    { EMPTY: '' },
  );
  assert.deepEqual(errors, [
    'backends[0].headers.api-key: environment variable "KEY_NOT_SET" is not set (set it before the config is loaded, or remove the header)',
    'backends[0].headers.Authorization: contains a line break or control character (visible characters, spaces and tabs only)',
    'backends[0].headers.authorization: same header as "Authorization" (list each header once; names are case-insensitive)',
    'backends[0].headers.Host: the router sets this header itself (another header; hop-by-hop headers, host, content-length, expect and x-forwarded-for cannot be set per backend)',
    'backends[0].headers["bad name"]: not an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~, e.g. api-key)',
    'backends[0].headers.x-number: got 42 (a string, or "${NAME}" to read it from the environment; quote numbers in YAML)',
    'backends[0].headers.x-empty: is empty once its ${NAME} is expanded (a non-empty value)',
  ]);
  assert.doesNotMatch(errors.join('\n'), new RegExp(secret));
  assert.deepEqual(errorsOf(withBackend({ region: 'eastus2', url: 'http://127.0.0.1:9001', headers: 'api-key' })), [
    'backends[0].headers: got "api-key" (expected a mapping of header name to value, e.g. { api-key: "${AZURE_OPENAI_KEY_EASTUS2}" })',
  ]);
});

test('deploymentNames: renames of configured deployments, each a URL path segment', () => {
  const ok = validateConfig(
    withBackend({ region: 'eastus2', url: 'http://127.0.0.1:9001', deploymentNames: { 'chat-global': 'gpt52-prod' } }),
    {},
  );
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.backends[0]?.deploymentNames, { 'chat-global': 'gpt52-prod' });
  assert.deepEqual(
    errorsOf(
      withBackend({
        region: 'eastus2',
        url: 'http://127.0.0.1:9001',
        deploymentNames: { 'chat-glob': 'x', 'chat-eu': 'has space', 'chat-east': '..' },
      }),
    ),
    [
      'backends[0].deploymentNames.chat-eu: got "has space" (expected letters, digits, ".", "_" or "-", e.g. "gpt52-prod"; it is used in URL paths)',
      'backends[0].deploymentNames.chat-east: ".." cannot be a URL path segment (expected letters, digits, ".", "_" or "-", e.g. "gpt52-prod"; it is used in URL paths)',
    ],
    'the unknown key is checked only once the values are valid',
  );
  assert.deepEqual(
    errorsOf(withBackend({ region: 'eastus2', url: 'http://127.0.0.1:9001', deploymentNames: { 'chat-glob': 'x' } })),
    ['backends[0].deploymentNames.chat-glob: no deployment "chat-glob" (known: chat-east, chat-eu, chat-global)'],
  );
  assert.deepEqual(
    errorsOf(withBackend({ region: 'eastus2', url: 'http://127.0.0.1:9001', deploymentNames: ['chat-global'] })),
    [
      "backends[0].deploymentNames: got a list (expected a mapping of deployment name to this backend's name for it, e.g. { chat-global: gpt52-prod })",
    ],
  );
});

test('tls: caFile read at load (relative to the config file), servername, rejectUnauthorized', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), CA_PEM);
  writeFileSync(join(dir, 'not-a-cert.pem'), 'hello\n');
  writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  const backend = (tls: unknown, url = 'https://127.0.0.1:9443') => withBackend({ region: 'eastus2', url, tls });

  const ok = validateConfig(
    backend({ caFile: 'ca.pem', servername: 'backend.test', rejectUnauthorized: true }),
    {},
    dir,
  );
  assert.ok(ok.ok, ok.ok ? '' : ok.errors.join('\n'));
  assert.deepEqual(ok.config.backends[0]?.tls, {
    caFile: 'ca.pem',
    ca: CA_PEM,
    servername: 'backend.test',
    rejectUnauthorized: true,
  });
  const defaults = validateConfig(backend({}), {}, dir);
  assert.ok(defaults.ok);
  assert.deepEqual(defaults.config.backends[0]?.tls, {
    caFile: null,
    ca: null,
    servername: null,
    rejectUnauthorized: true,
  });

  assert.deepEqual(errorsOf(backend({ caFile: 'missing.pem' }), {}, dir), [
    `backends[0].tls.caFile: cannot read "${join(dir, 'missing.pem')}": ENOENT (a readable PEM file of CA certificates; a relative path starts at the config file's folder)`,
  ]);
  assert.deepEqual(errorsOf(backend({ caFile: join(dir, 'not-a-cert.pem') }), {}, '/nowhere'), [
    `backends[0].tls.caFile: "${join(dir, 'not-a-cert.pem')}" holds no PEM certificate (a file with one or more "-----BEGIN CERTIFICATE-----" blocks)`,
  ]);
  assert.match(
    errorsOf(backend({ caFile: 'broken.pem' }), {}, dir)[0] ?? '',
    /^backends\[0\]\.tls\.caFile: certificate 1 of ".*broken\.pem" cannot be read: .* \(PEM-encoded X\.509 certificates\)$/,
  );
  assert.deepEqual(errorsOf(backend({ servername: '10.0.0.1', rejectUnauthorized: 'no', sni: 'x' }), {}, dir), [
    'backends[0].tls.sni: unknown key (known: caFile, rejectUnauthorized, servername)',
    'backends[0].tls.servername: got "10.0.0.1" (expected a DNS name, e.g. "myres.openai.azure.com"; SNI carries no IP addresses)',
    'backends[0].tls.rejectUnauthorized: got "no" (expected true or false)',
  ]);
  assert.deepEqual(errorsOf(backend({ rejectUnauthorized: false }, 'http://127.0.0.1:9001'), {}, dir), [
    'backends[0].tls: set on an http backend (an https url, or no tls)',
  ]);
});

test('a relative caFile in a config file starts at that file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), CA_PEM);
  const raw = withBackend({ region: 'eastus2', url: 'https://127.0.0.1:9443', tls: { caFile: 'ca.pem' } });
  const result = parseConfigText(JSON.stringify(raw), join(dir, 'switchyard.json'));
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  assert.equal(result.config.backends[0]?.tls?.ca, CA_PEM);
});

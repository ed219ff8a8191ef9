// A backend's own settings for a real fleet: the headers it needs (an Azure OpenAI
// resource's api-key), its names for the deployments (each resource names its own),
// and how to trust its certificate. Header values are secrets: no message quotes one.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type Environment, expandEnv, unsetMessage } from './env-text.js';
import type { BackendTlsConfig } from './types.js';
import {
  type Check,
  type Mapping,
  type Problems,
  boolean,
  describe,
  isRecord,
  keyPath,
  listOf,
  quote,
  readMapping,
} from './validate-fields.js';

/** Where ${NAME} is looked up, and where a relative caFile starts. */
export interface SettingsContext {
  readonly env: Environment;
  readonly baseDir: string;
}

// RFC 9110 5.6.2: a header name is a token.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 5.5: visible characters, spaces and tabs (and obs-text); never CR, LF or NUL.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

// Headers the router manages itself: hop-by-hop ones belong to each connection, the
// others it sets from the request (host from the backend, content-length from the
// body it forwards, x-forwarded-for from the client's address).
const ROUTER_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'x-forwarded-for',
]);

const HEADERS_EXAMPLE = 'e.g. { api-key: "${AZURE_OPENAI_KEY_EASTUS2}" }';

/** headers: name -> value, names lower-cased, ${NAME} expanded. */
export function readHeaders(
  problems: Problems,
  m: Mapping,
  env: Environment,
): Readonly<Record<string, string>> | undefined {
  const path = keyPath(m.path, 'headers');
  const raw = m.entries.get('headers');
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    problems.add(path, `got ${describe(raw)}`, `expected a mapping of header name to value, ${HEADERS_EXAMPLE}`);
    return undefined;
  }
  const headers: Record<string, string> = {};
  const seen = new Map<string, string>();
  let ok = true;
  for (const [name, value] of Object.entries(raw)) {
    const at = keyPath(path, name);
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) {
      problems.add(at, 'not an HTTP header name', "letters, digits and !#$%&'*+-.^_`|~, e.g. api-key");
      ok = false;
      continue;
    }
    if (ROUTER_HEADERS.has(lower)) {
      problems.add(
        at,
        'the router sets this header itself',
        'another header; hop-by-hop headers, host, content-length, expect and x-forwarded-for cannot be set per backend',
      );
      ok = false;
      continue;
    }
    const earlier = seen.get(lower);
    if (earlier !== undefined) {
      problems.add(at, `same header as ${quote(earlier)}`, 'list each header once; names are case-insensitive');
      ok = false;
      continue;
    }
    seen.set(lower, name);
    const parsed = headerValue(value, env);
    if ('wrong' in parsed) {
      problems.add(at, parsed.wrong, parsed.right ?? '');
      ok = false;
      continue;
    }
    headers[lower] = parsed.value;
  }
  return ok ? headers : undefined;
}

function headerValue(value: unknown, env: Environment): { value: string } | { wrong: string; right?: string } {
  // A string is never quoted back: it may be the secret itself.
  if (typeof value !== 'string') {
    return {
      wrong: `got ${describe(value)}`,
      right: 'a string, or "${NAME}" to read it from the environment; quote numbers in YAML',
    };
  }
  const expanded = expandEnv(value, env);
  if ('missing' in expanded) {
    return {
      wrong: unsetMessage(expanded.missing),
      right: 'set it before the config is loaded, or remove the header',
    };
  }
  if (expanded.value.trim() === '') {
    return {
      wrong: value.includes('${') ? 'is empty once its ${NAME} is expanded' : 'is empty',
      right: 'a non-empty value',
    };
  }
  if (!HEADER_VALUE.test(expanded.value)) {
    return { wrong: 'contains a line break or control character', right: 'visible characters, spaces and tabs only' };
  }
  return { value: expanded.value };
}

// The same rule as deployment names: the value goes into URL paths and JSON strings
// as it is, so it must need no escaping in either.
const BACKEND_NAME = /^[A-Za-z0-9._-]+$/;

const backendDeploymentName: Check<string> = {
  expected: 'letters, digits, ".", "_" or "-", e.g. "gpt52-prod"; it is used in URL paths',
  parse: (value) => {
    if (typeof value !== 'string' || !BACKEND_NAME.test(value)) return { wrong: `got ${describe(value)}` };
    if (value === '.' || value === '..') return { wrong: `${quote(value)} cannot be a URL path segment` };
    return { value };
  },
};

/**
 * deploymentNames: deployment -> this backend's name for it. Whether each key names a
 * configured deployment is checked once the deployments are read (checkRenamedDeployments).
 */
export function readDeploymentNames(problems: Problems, m: Mapping): Readonly<Record<string, string>> | undefined {
  const path = keyPath(m.path, 'deploymentNames');
  const raw = m.entries.get('deploymentNames');
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    problems.add(
      path,
      `got ${describe(raw)}`,
      "expected a mapping of deployment name to this backend's name for it, e.g. { chat-global: gpt52-prod }",
    );
    return undefined;
  }
  const names: Record<string, string> = {};
  let ok = true;
  for (const [deployment, value] of Object.entries(raw)) {
    const parsed = backendDeploymentName.parse(value);
    if ('wrong' in parsed) {
      problems.add(
        keyPath(path, deployment),
        parsed.wrong,
        parsed.right ?? `expected ${backendDeploymentName.expected}`,
      );
      ok = false;
      continue;
    }
    names[deployment] = parsed.value;
  }
  return ok ? names : undefined;
}

/** Every key of every backend's deploymentNames must be a configured deployment. */
export function checkRenamedDeployments(
  problems: Problems,
  backends: ReadonlyArray<{ readonly path: string; readonly deploymentNames: Readonly<Record<string, string>> }>,
  deployments: ReadonlySet<string>,
): void {
  for (const b of backends) {
    for (const name of Object.keys(b.deploymentNames)) {
      if (deployments.has(name)) continue;
      problems.add(
        keyPath(keyPath(b.path, 'deploymentNames'), name),
        `no deployment ${quote(name)}`,
        `known: ${listOf(deployments)}`,
      );
    }
  }
}

const TLS_KEYS = ['caFile', 'rejectUnauthorized', 'servername'];
// SNI carries host names only (RFC 6066 3), and Node refuses to send an IP address in it.
const IP_LIKE = /^[\d.]+$|:/;
const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** tls: for https backends only; null when absent. */
export function readTls(
  problems: Problems,
  m: Mapping,
  url: string | undefined,
  context: SettingsContext,
): BackendTlsConfig | null | undefined {
  const raw = m.entries.get('tls');
  if (raw === undefined) return null;
  const path = keyPath(m.path, 'tls');
  const tls = readMapping(problems, path, raw, TLS_KEYS);
  if (tls === undefined) return undefined;
  let ok = true;
  if (url?.startsWith('http:')) {
    problems.add(path, 'set on an http backend', 'an https url, or no tls');
    ok = false;
  }
  const ca = readCaFile(problems, tls, context.baseDir);
  const servername = readServername(problems, tls);
  let rejectUnauthorized = true;
  const reject = tls.entries.get('rejectUnauthorized');
  if (reject !== undefined) {
    const parsed = boolean.parse(reject);
    if ('value' in parsed) rejectUnauthorized = parsed.value;
    else {
      problems.add(keyPath(path, 'rejectUnauthorized'), parsed.wrong, `expected ${boolean.expected}`);
      ok = false;
    }
  }
  if (!ok || ca === undefined || servername === undefined) return undefined;
  return { caFile: ca?.file ?? null, ca: ca?.pem ?? null, servername, rejectUnauthorized };
}

function readCaFile(
  problems: Problems,
  tls: Mapping,
  baseDir: string,
): { file: string; pem: string } | null | undefined {
  const raw = tls.entries.get('caFile');
  if (raw === undefined) return null;
  const path = keyPath(tls.path, 'caFile');
  const right = "a readable PEM file of CA certificates; a relative path starts at the config file's folder";
  if (typeof raw !== 'string' || raw.trim() === '') {
    problems.add(path, `got ${describe(raw)}`, `expected ${right}`);
    return undefined;
  }
  const file = isAbsolute(raw) ? raw : resolve(baseDir, raw);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    problems.add(path, `cannot read ${quote(file)}: ${code}`, right);
    return undefined;
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    problems.add(
      path,
      `${quote(file)} holds no PEM certificate`,
      'a file with one or more "-----BEGIN CERTIFICATE-----" blocks',
    );
    return undefined;
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      problems.add(
        path,
        `certificate ${i + 1} of ${quote(file)} cannot be read: ${(error as Error).message}`,
        'PEM-encoded X.509 certificates',
      );
      return undefined;
    }
  }
  return { file: raw, pem };
}

function readServername(problems: Problems, tls: Mapping): string | null | undefined {
  const raw = tls.entries.get('servername');
  if (raw === undefined) return null;
  if (typeof raw === 'string' && DNS_NAME.test(raw) && !IP_LIKE.test(raw)) return raw;
  problems.add(
    keyPath(tls.path, 'servername'),
    `got ${describe(raw)}`,
    'expected a DNS name, e.g. "myres.openai.azure.com"; SNI carries no IP addresses',
  );
  return undefined;
}

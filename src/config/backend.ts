// A backend's entry: where it is, and the settings a real fleet needs (the headers an
// Azure OpenAI resource wants, its own names for the deployments, how to trust its
// certificate). Header values are secrets: no problem quotes one.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import * as f from './fields.js';
import { describe, quote } from './wording.js';

// RFC 9110 5.6.2: a header name is a token.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 5.5: visible characters, spaces and tabs (and obs-text); never CR, LF or NUL.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

// Headers the router manages itself: hop-by-hop ones belong to each connection, the
// others it sets from the request (host from the backend, content-length from the body
// it forwards, x-forwarded-for from the client's address).
const ROUTER_HEADERS: ReadonlySet<string> = new Set([
  ...'connection keep-alive proxy-connection proxy-authenticate proxy-authorization te trailer'.split(' '),
  ...'transfer-encoding upgrade host content-length expect x-forwarded-for'.split(' '),
]);

/** name -> value, names lower-cased, ${NAME} expanded; each header's first problem only. */
function headers(env: f.Environment) {
  const expected = 'a mapping of header name to value, e.g. { api-key: "${AZURE_OPENAI_KEY_EASTUS2}" }';
  return f
    .mapping(z.unknown(), expected)
    .transform((raw, ctx) => {
      const valid: Record<string, string> = {};
      const seen = new Map<string, string>();
      for (const [name, value] of Object.entries(raw)) {
        const problem = (wrong: string, right: string) =>
          ctx.addIssue({ code: 'custom', path: [name], message: `${wrong} (${right})` });
        const [lower, checked] = [name.toLowerCase(), headerValue(value, env)];
        const earlier = seen.get(lower);
        if (!HEADER_NAME.test(name))
          problem('not an HTTP header name', "letters, digits and !#$%&'*+-.^_`|~, e.g. api-key");
        else if (ROUTER_HEADERS.has(lower)) {
          const right =
            'another header; hop-by-hop headers, host, content-length, expect and x-forwarded-for cannot be set per backend';
          problem('the router sets this header itself', right);
        } else if (earlier !== undefined) {
          problem(`same header as ${quote(earlier)}`, 'list each header once; names are case-insensitive');
        } else {
          seen.set(lower, name);
          if (typeof checked === 'string') valid[lower] = checked;
          else problem(...checked);
        }
      }
      return valid;
    })
    .meta({ additionalProperties: { type: 'string' } });
}

function headerValue(value: unknown, env: f.Environment): string | [wrong: string, right: string] {
  // A string is never quoted back: it may be the secret itself.
  if (typeof value !== 'string') {
    return [`got ${describe(value)}`, 'a string, or "${NAME}" to read it from the environment; quote numbers in YAML'];
  }
  const expanded = f.expandEnv(value, env);
  if ('unset' in expanded) return [expanded.unset, 'set it before the config is loaded, or remove the header'];
  if (expanded.value.trim() === '') {
    return [value.includes('${') ? 'is empty once its ${NAME} is expanded' : 'is empty', 'a non-empty value'];
  }
  if (HEADER_VALUE.test(expanded.value)) return expanded.value;
  return ['contains a line break or control character', 'visible characters, spaces and tabs only'];
}

/** tls.caFile: the file's name as the config has it, and its PEM text, read at load. */
function caFile(baseDir: string) {
  const right = "a readable PEM file of CA certificates; a relative path starts at the config file's folder";
  return f.convert(right, (name, problem) => {
    if (name.trim() === '') return problem(`got ${describe(name)}`);
    const file = isAbsolute(name) ? name : resolve(baseDir, name);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      return problem(
        `cannot read ${quote(file)}: ${(error as { code?: string }).code ?? (error as Error).message}`,
        right,
      );
    }
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) {
      return problem(
        `${quote(file)} holds no PEM certificate`,
        'a file with one or more "-----BEGIN CERTIFICATE-----" blocks',
      );
    }
    for (const [i, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (error) {
        const wrong = `certificate ${i + 1} of ${quote(file)} cannot be read: ${(error as Error).message}`;
        return problem(wrong, 'PEM-encoded X.509 certificates');
      }
    }
    return { file: name, pem };
  });
}

// SNI carries host names only (RFC 6066 3), and Node refuses to send an IP address in it.
const servername = f.matching(
  'a DNS name, e.g. "myres.openai.azure.com"; SNI carries no IP addresses',
  /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/,
  (name) => !/^[\d.]+$|:/.test(name),
);

function tls(baseDir: string) {
  return f
    .section({
      caFile: f.defaulted(caFile(baseDir).nullable())(
        null,
        "PEM file of the CA certificates to trust instead of Node's bundled roots, read at load; a relative path starts at the config file's folder.",
      ),
      servername: f.defaulted(servername.nullable())(
        null,
        "The name sent in SNI and checked against the certificate; by default the url's host.",
      ),
      rejectUnauthorized: f.defaulted(f.boolean)(true, 'false accepts any certificate: for testing only.'),
    })
    .transform(({ caFile, servername, rejectUnauthorized }) => ({
      caFile: caFile?.file ?? null,
      /** The PEM text of caFile, read at load; it replaces the default roots. */
      ca: caFile?.pem ?? null,
      servername,
      rejectUnauthorized,
    }));
}

/** `env` is where "${NAME}" in header values is looked up, `baseDir` where a relative caFile starts. */
export function backend(env: f.Environment, baseDir: string) {
  return f.section({
    region: f.text('a region name declared under zones').meta({ description: 'Its region, declared under zones.' }),
    url: f
      .httpUrl('an http(s) origin, scheme://host[:port] without a path, e.g. "http://10.0.0.5:9001"', 'origin')
      .meta({ description: 'Where its requests go; each keeps its own path and query.' }),
    headers: f.defaulted(headers(env))(
      {},
      'Set on every request to this backend, replacing a client header of the same name (an api-key, say). ' +
        '"${NAME}" is read from the environment at load; the values are never logged or shown.',
    ),
    deploymentNames: f.defaulted(
      f.mapping(
        f.pathSegment('gpt52-prod'),
        "a mapping of deployment name to this backend's name for it, e.g. { chat-global: gpt52-prod }",
      ),
    )(
      {},
      "Deployment name -> this backend's name for it (a configured one); an Azure OpenAI resource names its own deployments.",
    ),
    tls: f.defaulted(tls(baseDir).nullable())(
      null,
      "An https backend's connection settings (https only); by default Node's.",
    ),
  });
}

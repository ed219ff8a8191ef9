// Adversarial HTTP requests, telemetry bodies and configs, as fast-check arbitraries.
// The property tests throw them at the real router; the soak benchmark samples them
// to mix bad requests into its steady load.
import fc from 'fast-check';

/** The fleet the request arbitraries aim at: deployment names, and a name that is not one. */
export interface Target {
  readonly deployments: readonly string[];
}

export interface RawCase {
  /** The request as written on the socket. */
  readonly bytes: Buffer;
  /** What the case is, for a failure message. */
  readonly label: string;
  /** The body is shorter than it says: the router must time it out (408). */
  readonly truncated: boolean;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'QUERY', 'TRACE', 'SEARCH'];

function nameOf(target: Target): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...target.deployments) },
    { weight: 1, arbitrary: fc.constantFrom('nope', '', '.', '..', 'a/b', 'x'.repeat(3000)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

/** Pieces that make paths hard to read the same way twice. */
const PATH_PIECE = fc.constantFrom(
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E%2e',
  '%2f',
  '%5c',
  '\\',
  '%64',
  '%41',
  '%',
  '%zz',
  ';',
  '?',
  '#',
  'openai',
  'deployments',
  'OpenAI',
  'v1',
  'chat',
  'completions',
);

function targetOf(target: Target): fc.Arbitrary<string> {
  const name = nameOf(target).map((n) => encodeURIComponent(n));
  return fc.oneof(
    { weight: 5, arbitrary: name.map((n) => `/openai/deployments/${n}/chat/completions?api-version=2024-10-21`) },
    { weight: 4, arbitrary: fc.constant('/v1/chat/completions') },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.array(PATH_PIECE, { maxLength: 8 }), name, fc.array(PATH_PIECE, { maxLength: 6 }))
        .map(([a, n, b]) => `/openai/deployments/${a.join('')}${n}${b.join('')}/chat/completions`),
    },
    { weight: 2, arbitrary: fc.array(PATH_PIECE, { minLength: 1, maxLength: 10 }).map((p) => `/${p.join('')}`) },
    { weight: 1, arbitrary: name.map((n) => `http://example.com/openai/deployments/${n}/chat/completions`) },
    { weight: 1, arbitrary: fc.constantFrom('*', 'example.com:443', 'v1/chat', 'HTTP://x') },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 })
        .map((s) => `/${s}`),
    },
  );
}

function jsonBodyOf(target: Target): fc.Arbitrary<string> {
  const name = nameOf(target);
  const messages = fc.array(fc.record({ role: fc.constantFrom('user', 'system'), content: fc.string() }), {
    maxLength: 3,
  });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ model: name, messages, stream: fc.boolean() }).map((o) => JSON.stringify(o)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(name, fc.integer({ min: 1, max: 200 }))
        .map(([n, d]) => `{"model":${JSON.stringify(n)},"x":${'['.repeat(d)}${']'.repeat(d)}}`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(name, name).map(([a, b]) => `{"model":${JSON.stringify(a)},"model":${JSON.stringify(b)}}`),
    },
    { weight: 1, arbitrary: name.map((n) => `{"mod\\u0065l":${JSON.stringify(n)}}`) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '\uFEFF{"model":"x"}', '{"model":', '{"model":"a"} trailing', '[]') },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1000, max: 60_000 }).map((n) => JSON.stringify({ model: 'm'.repeat(n) })),
    },
  );
}

const HEADER = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['content-type', 'application/json'],
    ['content-type', 'text/plain; charset=latin1'],
    ['content-encoding', 'gzip'],
    ['expect', '100-continue'],
    ['expect', 'something-else'],
    ['connection', 'keep-alive, x-secret'],
    ['x-secret', 'hop'],
    ['te', 'trailers'],
    ['upgrade', 'websocket'],
    ['keep-alive', 'timeout=5'],
    ['proxy-connection', 'keep-alive'],
    ['x-forwarded-for', '10.0.0.1, 10.0.0.2'],
    ['authorization', 'Bearer abc'],
    ['accept-encoding', 'gzip, br'],
    ['host', 'other.example'],
    ['x-switchyard-region', 'spoofed'],
  ),
  fc
    .tuple(
      fc.constantFrom('x-a', 'x-b', 'user-agent'),
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
    )
    .map(([n, v]): [string, string] => [n, v.trim()]),
  fc.integer({ min: 1000, max: 12_000 }).map((n): [string, string] => ['x-long', 'v'.repeat(n)]),
);

type Framing = 'length' | 'chunked' | 'none' | 'short';

function frame(body: Buffer, framing: Framing): { headers: string; payload: Buffer } {
  switch (framing) {
    case 'length':
      return { headers: `content-length: ${body.length}\r\n`, payload: body };
    case 'short':
      return { headers: `content-length: ${body.length + 10}\r\n`, payload: body };
    case 'chunked': {
      const parts: Buffer[] = [];
      for (let i = 0; i < body.length; i += 7) {
        const piece = body.subarray(i, i + 7);
        parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      return { headers: 'transfer-encoding: chunked\r\n', payload: Buffer.concat(parts) };
    }
    default:
      return { headers: '', payload: Buffer.alloc(0) };
  }
}

/** A complete raw HTTP/1.1 request, mostly plausible, often hostile, ending with `connection: close`. */
export function rawRequestOf(target: Target): fc.Arbitrary<RawCase> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constant('POST') },
        { weight: 3, arbitrary: fc.constantFrom(...METHODS) },
      ),
      path: targetOf(target),
      headers: fc.array(HEADER, { maxLength: 4 }),
      body: fc.oneof(
        { weight: 9, arbitrary: jsonBodyOf(target).map((s) => Buffer.from(s, 'utf8')) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
      ),
      framing: fc.oneof(
        { weight: 12, arbitrary: fc.constant<Framing>('length') },
        { weight: 3, arbitrary: fc.constant<Framing>('chunked') },
        { weight: 2, arbitrary: fc.constant<Framing>('none') },
        { weight: 1, arbitrary: fc.constant<Framing>('short') },
      ),
    })
    .map(({ method, path, headers, body, framing }) => {
      const { headers: framingHeaders, payload } = frame(body, framing);
      const head =
        `${method} ${path} HTTP/1.1\r\nhost: router\r\n` +
        headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') +
        `${framingHeaders}connection: close\r\n\r\n`;
      return {
        bytes: Buffer.concat([Buffer.from(head, 'latin1'), payload]),
        label: `${method} ${path.length > 120 ? `${path.slice(0, 120)}...` : path} [${framing}, ${body.length} B, ${headers.map(([n]) => n).join(',')}]`,
        truncated: framing === 'short',
      };
    });
}

/** What a telemetry source may answer: good, odd, hostile or broken. */
export interface TelemetryAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** Send the body chunked (no Content-Length). */
  readonly chunked: boolean;
  readonly label: string;
}

export function telemetryAnswerOf(
  regions: readonly string[],
  models: readonly string[],
): fc.Arbitrary<TelemetryAnswer> {
  const amount = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 1000 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(1e300, -1, 0, Number.MAX_VALUE, '12', null, true, [], {}, 1e-300),
    },
  );
  const report = fc.record(
    {
      region: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...regions) }, { weight: 1, arbitrary: fc.string() }),
      model: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...models) }, { weight: 1, arbitrary: fc.string() }),
      capacity: amount,
      inUse: amount,
      at: fc.oneof(
        fc.constant('now'),
        fc.constantFrom<unknown>('2099-01-01T00:00:00Z', 0, -5, 'yesterday', null, 8.64e15, '1970-01-01T00:00:00Z'),
      ),
    },
    { requiredKeys: ['region', 'model'] },
  );
  const reports = fc.array(report, { maxLength: 12 }).map((list) =>
    JSON.stringify({
      reports: list.map((r) => (r.at === 'now' ? { ...r, at: new Date().toISOString() } : r)),
    }),
  );
  const body = fc.oneof(
    { weight: 6, arbitrary: reports.map((s) => ({ text: Buffer.from(s), label: 'reports' })) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((s) => ({ text: Buffer.from(s), label: 'random JSON' })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 50_000 }).map((d) => ({
        text: Buffer.from(`{"reports":${'['.repeat(d)}${']'.repeat(d)}}`),
        label: `nested ${d}`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 3 }).map((mb) => ({
        text: Buffer.from(`{"reports":[],"pad":"${'x'.repeat(mb * 1024 * 1024)}"}`),
        label: `${mb} MiB`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => ({ text: Buffer.from(a), label: 'bytes' })),
    },
  );
  return fc
    .record({
      status: fc.oneof(
        { weight: 8, arbitrary: fc.constant(200) },
        { weight: 1, arbitrary: fc.constantFrom(204, 301, 404, 500, 503) },
      ),
      body,
      chunked: fc.boolean(),
    })
    .map(({ status, body: b, chunked }) => ({
      status,
      body: b.text,
      chunked,
      label: `${status} ${b.label}${chunked ? ' chunked' : ''}`,
    }));
}

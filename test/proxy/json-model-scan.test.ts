// The byte scanner agrees with JSON.parse on what is JSON and on the top-level model,
// however the body is cut into chunks; and it refuses what JSON.parse would build at
// any cost (deep nesting) or that parsers read differently (a repeated model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonModelScan, MAX_DEPTH, SCAN_INVALID, SCAN_NO_MODEL, SCAN_OK } from '../../src/proxy/json-model-scan.js';
import { deploymentFromBody, isJsonBody, pathBodyProblem } from '../../src/proxy/request-target.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';

type Expected = { status: number; model?: string };

/** What JSON.parse says, in the scanner's terms. */
function viaJsonParse(text: string): Expected {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: SCAN_INVALID };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { status: SCAN_INVALID };
  const model = (parsed as { model?: unknown }).model;
  if (typeof model !== 'string' || model === '') return { status: SCAN_NO_MODEL };
  return { status: SCAN_OK, model };
}

/** Scans `text` cut at `cuts` (fractions of its length). */
function viaScan(text: string, cuts: number[]): Expected {
  const body = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((f) => Math.floor(f * body.length)))].sort((a, b) => a - b);
  const scan = new JsonModelScan();
  let from = 0;
  for (const p of [...points, body.length]) {
    scan.feed(body.subarray(from, p));
    from = p;
  }
  if (body.length === 0) return { status: SCAN_INVALID };
  const target = deploymentFromBody(body, scan, Number.MAX_SAFE_INTEGER);
  if (target.ok) return { status: SCAN_OK, model: target.deployment };
  return { status: target.code === 'InvalidJson' ? SCAN_INVALID : SCAN_NO_MODEL };
}

function depthOf(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });
const modelValue = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 2 }));
const body = fc
  .tuple(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 }), fc.option(modelValue), fc.boolean())
  .map(([rest, model, escapeKey]) => {
    const { model: _drop, ...others } = rest;
    const obj = model === null ? others : { ...others, model };
    const text = JSON.stringify(obj, null, escapeKey ? 1 : undefined);
    return escapeKey ? text.replace('"model"', '"mod\\u0065l"') : text;
  });

test('valid bodies: the scanner finds what JSON.parse finds, whatever the chunking', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(body, cuts, (text, at) => {
      assert.deepEqual(viaScan(text, at), viaJsonParse(text));
    }),
    { seed, numRuns: fuzzRuns(400) },
  );
});

test('mutated bodies: the scanner refuses exactly what JSON.parse refuses', (t) => {
  const seed = fuzzSeed(t);
  const significant = fc.constantFrom(
    '{',
    '}',
    '[',
    ']',
    '"',
    ',',
    ':',
    '\\',
    '-',
    '0',
    '1',
    'e',
    '.',
    't',
    'n',
    ' ',
    '\u0001',
    'x',
  );
  const edit = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(2), significant);
  fc.assert(
    fc.property(body, fc.array(edit, { minLength: 1, maxLength: 3 }), cuts, (text, edits, at) => {
      let s = text;
      for (const [where, kind, ch] of edits) {
        const i = Math.floor(where * s.length);
        s =
          kind === 0
            ? s.slice(0, i) + ch + s.slice(i)
            : kind === 1
              ? s.slice(0, i) + s.slice(i + 1)
              : s.slice(0, i) + ch + s.slice(i + 1);
      }
      fc.pre(s.split('"model"').length <= 2 && !s.includes('mod\\u0065l"') && depthOf(s) <= MAX_DEPTH);
      assert.deepEqual(viaScan(s, at), viaJsonParse(s), s);
    }),
    { seed, numRuns: fuzzRuns(600) },
  );
});

test('nesting up to the limit passes, one level more is refused', () => {
  const nested = (levels: number) => `{"model":"m","x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
  assert.deepEqual(viaScan(nested(MAX_DEPTH), []), { status: SCAN_OK, model: 'm' });
  assert.deepEqual(viaScan(nested(MAX_DEPTH + 1), []), { status: SCAN_INVALID });
  const deepObjects = `{"model":"m","x":${'{"a":'.repeat(MAX_DEPTH)}1${'}'.repeat(MAX_DEPTH)}}`;
  assert.deepEqual(viaScan(deepObjects, []), { status: SCAN_INVALID });
});

test('a repeated top-level model is refused; a nested one is not the model', () => {
  assert.deepEqual(viaScan('{"model":"a","model":"a"}', []), { status: SCAN_INVALID });
  assert.deepEqual(viaScan('{"model":"a","mod\\u0065l":"b"}', []), { status: SCAN_INVALID });
  assert.deepEqual(viaScan('{"x":{"model":"a","model":"b"},"model":"c"}', [0.3, 0.6]), { status: SCAN_OK, model: 'c' });
});

test('a model value longer than any configured name is not decoded, and is echoed short', () => {
  const text = JSON.stringify({ model: 'x'.repeat(100_000) });
  const body = Buffer.from(text);
  const scan = new JsonModelScan();
  scan.feed(body);
  const target = deploymentFromBody(body, scan, 600);
  assert.equal(target.ok, false);
  if (!target.ok) {
    assert.equal(target.code, 'DeploymentNotFound');
    assert.ok(target.message.length < 300, target.message);
  }
});

/** Path mode (the path names the deployment): valid or not, as JSON.parse says, for an object. */
function viaPathScan(text: string, cuts: number[]): 'ok' | 'invalid' {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const scan = new JsonModelScan(false);
  let from = 0;
  for (const p of [...points, bytes.length]) {
    scan.feed(bytes.subarray(from, p));
    from = p;
  }
  const problem = pathBodyProblem(bytes, scan);
  assert.equal(scan.modelStart, -1, 'no model offsets: the path names the deployment');
  if (problem !== null) assert.doesNotMatch(problem, /model/, problem);
  return problem === null ? 'ok' : 'invalid';
}

function objectViaJsonParse(text: string): 'ok' | 'invalid' {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? 'ok' : 'invalid';
  } catch {
    return 'invalid';
  }
}

test('path mode: the same JSON and nesting checks, no "model" rules, whatever the chunking', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(body, fc.nat(4), fc.nat(), cuts, (text, kind, at, points) => {
      const i = at % (text.length + 1);
      const s =
        kind === 0
          ? text
          : kind === 1
            ? text.slice(0, i) // cut short
            : kind === 2
              ? `${text.slice(0, i)}\u0001${text.slice(i)}`
              : kind === 3
                ? `${text.slice(0, -1)},"model":"a","model":"b"}` // twice: the path wins
                : `${text.slice(0, -1)},"x":${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}}`;
      const expected = s.length === 0 ? 'ok' : depthOf(s) > MAX_DEPTH ? 'invalid' : objectViaJsonParse(s);
      assert.equal(viaPathScan(s, points), expected, s);
    }),
    { seed, numRuns: fuzzRuns(400) },
  );
  assert.equal(viaPathScan('[1]', []), 'invalid', 'a JSON object, as for an OpenAI-style body');
  assert.equal(viaPathScan(`{"x":${'['.repeat(100_000)}`, [0.5]), 'invalid');
});

test('a body on a path is checked as JSON when its type is JSON or not given, and sent plainly', () => {
  for (const type of [undefined, '', 'application/json', 'Application/JSON; charset=utf-8', ' application/json ;x=y'])
    assert.equal(isJsonBody(type, undefined), true, String(type));
  for (const type of ['application/merge-patch+json', 'application/vnd.api+JSON'])
    assert.equal(isJsonBody(type, 'identity'), true, type);
  for (const type of ['multipart/form-data; boundary=x', 'text/plain', 'application/octet-stream', 'application/jsonl'])
    assert.equal(isJsonBody(type, undefined), false, type);
  assert.equal(isJsonBody('application/json', 'gzip'), false, 'compressed: not readable as it is');
});

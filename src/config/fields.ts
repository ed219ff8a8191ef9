// The kinds of value a config key can hold. Each says in words what a valid value looks
// like; that text completes the problem with a wrong value ("got 0 (expected ...)") and
// fills the "allowed" column of the reference, so that the two never disagree.
import { z } from 'zod';
import { redactUrl } from '../net/redact-url.js';
import { describe, isRecord, listOf, quote, says } from './wording.js';

type Issue = { readonly input?: unknown; readonly code?: string };

/** What a valid value of a key looks like, for the generated reference. */
export const ALLOWED = z.registry<{ allowed: string }>();

// A check without a message of its own (a minimum, a pattern) is worded by its schema's.
export function kind<T extends z.ZodType>(expected: string, make: (error: (iss: Issue) => string) => T): T {
  const schema = make(says(expected));
  ALLOWED.add(schema, { allowed: expected });
  return schema;
}

/** A key the file may leave out: its default, and what it does (for the reference and editors). */
export function defaulted<T extends z.ZodType>(schema: T) {
  return (fallback: z.core.util.NoUndefined<z.output<T>>, description: string) =>
    schema.default(fallback).meta({ description });
}

export const integer = (min: number, max: number, expected: string) =>
  kind(expected, (error) => z.int({ error }).min(min).max(max));
export const number = (min: number, max: number | null, expected: string) =>
  kind(expected, (error) => (max === null ? z.number({ error }).min(min) : z.number({ error }).min(min).max(max)));
export const text = (expected: string) => kind(expected, (error) => z.string({ error }).regex(/\S/));
export const boolean = kind('true or false', (error) => z.boolean({ error }));

/** A string that matches `pattern` (and `also`, for what a pattern cannot say). */
export const matching = (expected: string, pattern: RegExp, also?: (value: string) => boolean) =>
  kind(expected, (error) =>
    also ? z.string({ error }).regex(pattern).refine(also) : z.string({ error }).regex(pattern),
  );

/** A name that goes into URL paths as it is, so it needs no escaping there (nor in JSON). */
export function pathSegment(example: string) {
  const expected = `letters, digits, ".", "_" or "-", e.g. "${example}"; it is used in URL paths`;
  // "." and ".." would be resolved away by clients.
  const segment = (name: string) => name !== '.' && name !== '..';
  const error = ({ input }: Issue) => `${describe(input)} cannot be a URL path segment (expected ${expected})`;
  return kind(expected, (wrong) =>
    z
      .string({ error: wrong })
      .regex(/^[A-Za-z0-9._-]+$/)
      .refine(segment, { error }),
  );
}

/** One of a fixed set of words; a word outside it is named with the known ones. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, noun: string) {
  return kind(`one of: ${listOf(values)}`, (error) =>
    z.enum(values, {
      error: (iss) =>
        typeof iss.input === 'string' ? `unknown ${noun} ${quote(iss.input)} (known: ${listOf(values)})` : error(iss),
    }),
  );
}

/** A list the fleet cannot be described without: at least one item. */
export function list<T extends z.ZodType>(item: T, expected: string) {
  const error = ({ input, code }: Issue) =>
    `${input === undefined ? 'missing' : code === 'too_small' ? 'empty list' : `got ${describe(input)}`} (required: ${expected})`;
  const schema = z.array(item, { error }).min(1);
  ALLOWED.add(schema, { allowed: expected });
  return schema;
}

/** A mapping of names the file chooses (zones, headers) to values of one kind. */
export function mapping<T extends z.ZodType>(value: T, expected: string) {
  const schema = z.record(z.string(), value, { error: says(expected) });
  ALLOWED.add(schema, { allowed: expected });
  return schema;
}

interface SectionWords {
  /** What the section is, when the file has something else there. */
  readonly expected?: string;
  /** What the section needs, when the file leaves it out. */
  readonly required?: string;
}

/** A mapping of named keys; a key it does not name is a problem that lists the ones it does. */
export function section<S extends z.core.$ZodLooseShape>(shape: S, words: SectionWords = {}) {
  const known = Object.keys(shape);
  const required = () => known.filter((key) => !z.safeParse(shape[key] as z.ZodType, undefined).success);
  const error = ({ input, code }: Issue) => {
    if (code === 'unrecognized_keys') return `unknown key (known: ${listOf(known)})`;
    if (input === undefined)
      return `missing (required: ${words.required ?? `a mapping with at least ${listOf(required())}`})`;
    return `got ${describe(input)} (expected ${words.expected ?? `a mapping with keys: ${listOf(known)}`})`;
  };
  // A known key left empty (YAML `key:` with no value) counts as absent: it takes its default.
  const withoutNulls = (value: unknown) =>
    isRecord(value)
      ? Object.fromEntries(Object.entries(value).filter(([k, v]) => v !== null || !known.includes(k)))
      : value;
  const schema = z.preprocess(withoutNulls, z.strictObject(shape, { error }));
  ALLOWED.add(schema, { allowed: words.expected ?? `a mapping with keys: ${listOf(known)}` });
  return schema;
}

/** A section whose every key has a default, so that the whole section may be left out. */
export function optionalSection<S extends z.core.$ZodLooseShape>(description: string, shape: S) {
  return section(shape).prefault({}).meta({ description });
}

export type Problem = (wrong: string, right?: string) => never;

/** A string turned into a value, or into a problem (what is expected, unless it says otherwise). */
export function convert<T>(expected: string, to: (value: string, problem: Problem) => T) {
  return kind(expected, (error) =>
    z.string({ error }).transform((value, ctx) =>
      to(value, (wrong, right = `expected ${expected}`) => {
        ctx.addIssue({ code: 'custom', message: `${wrong} (${right})` });
        return z.NEVER;
      }),
    ),
  );
}

/**
 * An http(s) URL, normalised. An `origin` (a backend's address, which gets the request's
 * own path and query) carries no credentials, path, query or fragment; a `base` (an API
 * that gets a path appended) no query or fragment, and loses its trailing slashes.
 */
export function httpUrl(expected: string, form: 'url' | 'origin' | 'base' = 'url') {
  return convert(expected, (value, problem) => {
    // A problem quotes the URL's parts, but never a credential or query value (redactUrl).
    if (!URL.canParse(value)) return problem(`not a URL: ${quote(redactUrl(value))}`);
    const url = new URL(value);
    const scheme = url.protocol.slice(0, -1);
    if (scheme !== 'http' && scheme !== 'https') return problem(`unsupported scheme ${quote(scheme)}`);
    if (form === 'url') return url.href;
    if (form === 'base') {
      const extra =
        url.search !== '' ? `a query ${shown(url.search)}` : url.hash !== '' ? `a fragment ${shown(url.hash)}` : '';
      if (extra !== '') return problem(`has ${extra}`, 'the base URL only; the router appends /api/v1/query?query=...');
      // One form for "http://p:9090", "http://p:9090/" and "http://p:9090/prefix/".
      url.pathname = url.pathname.replace(/\/+$/, '');
      return url.href.replace(/\/+$/, '');
    }
    const extras = [
      url.username !== '' || url.password !== '' ? 'credentials' : '',
      url.pathname !== '/' ? `a path ${quote(url.pathname)}` : '',
      url.search !== '' ? `a query ${shown(url.search)}` : '',
      url.hash !== '' ? `a fragment ${shown(url.hash)}` : '',
    ].filter((extra) => extra !== '');
    const right = `an origin only, e.g. ${quote(url.origin)}; request paths are forwarded as they come`;
    return extras.length === 0 ? url.origin : problem(`has ${extras.join(' and ')}`, right);
  });
}

function shown(part: string): string {
  return quote(redactUrl(part));
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Secrets are better kept out of the file: a value may say "${NAME}" and be read from the
 * environment at load. Returns the text with every reference replaced, or a problem naming
 * the unset variables (never a silent empty string). No problem quotes the value itself.
 */
export function expandEnv(text: string, env: Environment): { value: string } | { unset: string } {
  const missing: string[] = [];
  const value = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all, name: string) => {
    if (env[name] === undefined) missing.push(name);
    return env[name] ?? '';
  });
  if (missing.length === 0) return { value };
  const [s, verb] = missing.length > 1 ? ['s', 'are'] : ['', 'is'];
  return {
    unset: `environment variable${s} ${missing.map((name) => JSON.stringify(name)).join(', ')} ${verb} not set`,
  };
}

/** A bearer token, literal or "${NAME}"; `key` names the setting. */
export function bearerToken(env: Environment, key: string) {
  return convert(
    'a token of visible ASCII characters, or "${NAME}" to read it from the environment',
    (value, problem) => {
      if (value === '') return problem('got ""');
      const expanded = expandEnv(value, env);
      if ('unset' in expanded)
        return problem(expanded.unset, `set it, or remove ${key} to leave the admin listener open`);
      if (expanded.value === '') return problem(`is empty once ${value} is expanded`, 'a non-empty token');
      // What an HTTP token may hold (RFC 9110 token68 and friends): visible ASCII, no spaces.
      if (/^[\x21-\x7e]+$/.test(expanded.value)) return expanded.value;
      return problem(
        'contains a space or control character',
        'a token of visible ASCII characters, as sent in "Authorization: Bearer <token>"',
      );
    },
  );
}

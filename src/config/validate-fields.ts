// The validator's building blocks. Every problem becomes one line,
// `<key path>: <what is wrong> (<what would be right>)`, and readers record problems
// instead of throwing, so that a single run reports all of them.

export class Problems {
  readonly messages: string[] = [];

  add(path: string, wrong: string, right: string): void {
    this.messages.push(`${path}: ${wrong} (${right})`);
  }
}

/** Path of the document itself, for a config that is not a mapping at all. */
export const ROOT = '(root)';

// Keys that read well after a dot; anything else (dots, spaces, "") is quoted in brackets.
const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;

export function keyPath(parent: string, key: string): string {
  const base = parent === ROOT ? '' : parent;
  if (!PLAIN_KEY.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base === '' ? key : `${base}.${key}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

const MAX_QUOTED = 60;

export function quote(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.length <= MAX_QUOTED ? quoted : `${quoted.slice(0, MAX_QUOTED - 4)}..."`;
}

/** How a value looks to the user, for "got ..." messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return `a ${typeof value}`;
  }
}

export function listOf(values: Iterable<string>): string {
  const sorted = [...values].sort();
  return sorted.length > 0 ? sorted.join(', ') : 'none';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type Parsed<T> = { readonly value: T } | { readonly wrong: string; readonly right?: string };

export interface Check<T> {
  /** What a valid value looks like; completes "expected ..." and "required: ...". */
  readonly expected: string;
  readonly parse: (value: unknown) => Parsed<T>;
}

function shape<T>(expected: string, accepts: (value: unknown) => value is T): Check<T> {
  return {
    expected,
    parse: (value) => (accepts(value) ? { value } : { wrong: `got ${describe(value)}` }),
  };
}

export function integerIn(min: number, max: number, expected: string): Check<number> {
  return shape(
    expected,
    (value): value is number => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max,
  );
}

export function numberIn(min: number, max: number, expected: string): Check<number> {
  return shape(
    expected,
    (value): value is number => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max,
  );
}

export function nonEmptyText(expected: string): Check<string> {
  return shape(expected, (value): value is string => typeof value === 'string' && value.trim() !== '');
}

function isKeyOf<T extends string>(known: Readonly<Record<T, true>>, value: unknown): value is T {
  return typeof value === 'string' && Object.hasOwn(known, value);
}

/** One of a fixed set of words; the set is a record so that the compiler checks it is complete. */
export function oneOf<T extends string>(known: Readonly<Record<T, true>>, noun: string): Check<T> {
  const names = listOf(Object.keys(known));
  return {
    expected: `one of: ${names}`,
    parse: (value) => {
      if (isKeyOf(known, value)) return { value };
      if (typeof value === 'string') return { wrong: `unknown ${noun} ${quote(value)}`, right: `known: ${names}` };
      return { wrong: `got ${describe(value)}` };
    },
  };
}

export const boolean: Check<boolean> = {
  expected: 'true or false',
  parse: (value) => (typeof value === 'boolean' ? { value } : { wrong: `got ${describe(value)}` }),
};

function toHttpUrl(value: unknown): URL | { wrong: string } {
  if (typeof value !== 'string') return { wrong: `got ${describe(value)}` };
  if (!URL.canParse(value)) return { wrong: `not a URL: ${quote(value)}` };
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { wrong: `unsupported scheme ${quote(url.protocol.slice(0, -1))}` };
  }
  return url;
}

export const httpUrl: Check<string> = {
  expected: 'an http(s) URL, e.g. "http://127.0.0.1:9100/telemetry"',
  parse: (value) => {
    const url = toHttpUrl(value);
    return url instanceof URL ? { value: url.href } : url;
  },
};

/** A backend address: the request's own path and query are appended to it, so it may carry none. */
export const origin: Check<string> = {
  expected: 'an http(s) origin, scheme://host[:port] without a path, e.g. "http://10.0.0.5:9001"',
  parse: (value) => {
    const url = toHttpUrl(value);
    if (!(url instanceof URL)) return url;
    const extras = [
      url.username !== '' || url.password !== '' ? 'credentials' : '',
      url.pathname !== '/' ? `a path ${quote(url.pathname)}` : '',
      url.search !== '' ? `a query ${quote(url.search)}` : '',
      url.hash !== '' ? `a fragment ${quote(url.hash)}` : '',
    ].filter((extra) => extra !== '');
    if (extras.length === 0) return { value: url.origin };
    return {
      wrong: `has ${extras.join(' and ')}`,
      right: `an origin only, e.g. ${quote(url.origin)}; request paths are forwarded as they come`,
    };
  },
};

/** A mapping whose keys have been checked; null values count as absent (YAML `key:` with no value). */
export interface Mapping {
  readonly path: string;
  readonly entries: ReadonlyMap<string, unknown>;
}

export function readMapping(
  problems: Problems,
  path: string,
  value: unknown,
  known: readonly string[],
): Mapping | undefined {
  if (!isRecord(value)) {
    problems.add(path, `got ${describe(value)}`, `expected a mapping with keys: ${listOf(known)}`);
    return undefined;
  }
  const entries = new Map<string, unknown>();
  for (const [key, child] of Object.entries(value)) {
    if (!known.includes(key)) problems.add(keyPath(path, key), 'unknown key', `known: ${listOf(known)}`);
    else if (child !== null) entries.set(key, child);
  }
  return { path, entries };
}

export function readRequired<T>(problems: Problems, m: Mapping, key: string, check: Check<T>): T | undefined {
  if (!m.entries.has(key)) {
    problems.add(keyPath(m.path, key), 'missing', `required: ${check.expected}`);
    return undefined;
  }
  const parsed = check.parse(m.entries.get(key));
  if ('value' in parsed) return parsed.value;
  problems.add(keyPath(m.path, key), parsed.wrong, parsed.right ?? `expected ${check.expected}`);
  return undefined;
}

export interface Field<T> {
  readonly check: Check<T>;
  /** Used when the key is absent; a field without one is required. */
  readonly fallback?: T;
}

export type Schema<T> = { readonly [K in keyof T]-?: Field<T[K]> };

export interface Section<T> {
  /** Every field that is valid, defaults included. */
  readonly values: Partial<T>;
  /** Keys the file sets itself, so that messages can tell them from defaults. */
  readonly given: ReadonlySet<string>;
  /** The section, when every field is valid. */
  readonly whole: T | undefined;
}

/** A section of scalar fields; an absent section is all defaults unless a field is required. */
export function readSection<T extends object>(
  problems: Problems,
  parent: Mapping,
  key: string,
  schema: Schema<T>,
): Section<T> | undefined {
  const path = keyPath(parent.path, key);
  const fieldKeys = Object.keys(schema) as (keyof T & string)[];
  const requiredKeys = fieldKeys.filter((field) => schema[field].fallback === undefined);
  const raw = parent.entries.get(key);
  if (raw === undefined && requiredKeys.length > 0) {
    problems.add(path, 'missing', `required: a mapping with at least ${listOf(requiredKeys)}`);
    return undefined;
  }
  const m = readMapping(problems, path, raw ?? {}, fieldKeys);
  if (m === undefined) return undefined;

  const values: Partial<T> = {};
  for (const field of fieldKeys) {
    const { check, fallback } = schema[field];
    const value = fallback === undefined || m.entries.has(field) ? readRequired(problems, m, field, check) : fallback;
    if (value !== undefined) values[field] = value;
  }
  const complete = fieldKeys.every((field) => values[field] !== undefined);
  return { values, given: new Set(m.entries.keys()), whole: complete ? (values as T) : undefined };
}

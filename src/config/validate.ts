// Turns a parsed YAML/JSON document into a Config with every default filled in, or into
// the complete list of what is wrong with it: one `path: wrong (right)` line per problem,
// in the order of the document.
import { z } from 'zod';
import { crossCheck, type Path, type Problem } from './cross-checks.js';
import type { Environment } from './fields.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import { isRecord, pathText } from './wording.js';

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

type Issue = { code?: string; origin?: string; path?: Path; message?: string; keys?: readonly string[] };

/**
 * env: where "${NAME}" in secret-bearing keys (admin.token, backend headers) is looked
 * up. baseDir: where a relative file path (a backend's tls.caFile) starts; the config
 * file's folder when loaded from a file.
 */
export function validateConfig(
  raw: unknown,
  env: Environment = process.env,
  baseDir: string = process.cwd(),
): ConfigResult {
  const schema = schemaFor(env, baseDir);
  // zod's own parse gives nothing back once a problem is found, and skips refinements after
  // some (a non-integer); the cross checks run on what it could make sense of regardless.
  const ctx = { async: false } as const;
  const result = schema._zod.run({ value: raw, issues: [] }, ctx) as z.core.ParsePayload;
  const issues: Issue[] = result.issues.map((issue) => z.core.util.finalizeIssue(issue, ctx, z.core.config()));
  const cross = crossCheck(parsedView(result.value, raw, issues));
  if (issues.length === 0 && cross.length === 0) return { ok: true, config: deepFreeze(result.value as Config) };
  const own: Problem[] = issues.flatMap(({ code, path = [], message = '', keys = [] }) =>
    code === 'unrecognized_keys' ? keys.map((key) => ({ path: [...path, key], message })) : [{ path, message }],
  );
  // The schema's first word on a key is the one that matters: what is not a list is not an empty one.
  const said = new Set<string>();
  const rank = documentOrder(schema, raw);
  const errors = [...cross, ...own.filter((p) => !said.has(pathText(p.path)) && Boolean(said.add(pathText(p.path))))]
    .map((p) => ({ rank: p.after ? [...rank(p.after), Number.POSITIVE_INFINITY] : rank(p.before ?? p.path), p }))
    .sort((a, b) => compare(a.rank, b.rank))
    .map(({ p }) => `${pathText(p.path)}: ${p.message}`);
  return { ok: false, errors };
}

type Schema = ReturnType<typeof configSchema>;
const built = new WeakMap<Environment, Map<string, Schema>>();

// Building the schema costs several parses; it depends on env only by identity (variables
// are read as the file is parsed), so process.env and one folder reuse one schema.
function schemaFor(env: Environment, baseDir: string): Schema {
  const byDir = built.get(env) ?? new Map<string, Schema>();
  const schema = byDir.get(baseDir) ?? configSchema(env, baseDir);
  built.set(env, byDir.set(baseDir, schema));
  return schema;
}

function dig(node: unknown, path: Path): unknown {
  for (const key of path) {
    const has = (isRecord(node) || Array.isArray(node)) && Object.hasOwn(node, key);
    node = has ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return node ?? undefined;
}

function parsedView(value: unknown, raw: unknown, issues: readonly Issue[]) {
  // An unknown key leaves its neighbours usable, and an empty list or mapping has no parts to distrust.
  const emptiness = (i: Issue) => i.code === 'too_small' && (i.origin === 'array' || i.origin === 'object');
  const broken = issues.filter((i) => i.code !== 'unrecognized_keys' && !emptiness(i)).map((i) => i.path ?? []);
  const within = (inner: Path, outer: Path) => outer.every((key, i) => inner[i] === key);
  const accepted = (path: Path) => !broken.some((at) => within(path, at));
  return {
    at: <T>(...path: PropertyKey[]) => (accepted(path) ? (dig(value, path) as T | undefined) : undefined),
    whole: (...path: PropertyKey[]) => !broken.some((at) => within(path, at) || within(at, path)),
    input: (...path: PropertyKey[]) => dig(raw, path),
  };
}

type Node = z.core.$ZodType;
type Def = { type: string; innerType?: Node; in?: Node; out?: Node; shape?: Record<string, Node> } & {
  element?: Node;
  valueType?: Node;
};

/** The schema that holds the keys or items of `node`, past defaults, nullables and pipes. */
function container(node: Node | undefined): Def | undefined {
  let def = node?._zod.def as Def | undefined;
  while (def?.innerType !== undefined || def?.type === 'pipe') {
    // A preprocess pipes a function into the section; a transform pipes the section into a function.
    const side = def.type !== 'pipe' ? def.innerType : def.in?._zod.def.type === 'transform' ? def.out : def.in;
    def = side?._zod.def as Def | undefined;
  }
  return def;
}

/**
 * Ranks a key path by where it sits in the document: a section's keys in the schema's order
 * (unknown keys first, as they are found before the section is read), the names of a
 * mapping such as zones in the file's order, list items by index.
 */
function documentOrder(schema: Node, raw: unknown): (path: Path) => number[] {
  return (path) => {
    let def = container(schema);
    return path.map((key, i) => {
      const [shape, parent] = [def?.shape, dig(raw, path.slice(0, i))];
      const names = Object.keys(shape ?? (isRecord(parent) ? parent : {}));
      const child = shape === undefined ? (def?.element ?? def?.valueType) : shape[String(key)];
      def = Object.hasOwn(shape ?? {}, key) || shape === undefined ? container(child) : undefined;
      return typeof key === 'number' ? key : names.indexOf(String(key));
    });
  };
}

function compare(a: readonly number[], b: readonly number[]): number {
  const i = a.findIndex((rank, j) => rank !== b[j]);
  return i === -1 ? a.length - b.length : i >= b.length ? 1 : (a[i] ?? 0) - (b[i] ?? 0);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

// What `npm run config:docs` writes, from the configuration schema (src/config/schema.ts):
// switchyard.schema.json, the JSON Schema editors complete and check a config file with,
// and docs/configuration.md, the reference of every key. A test fails when either file
// is out of date with the schema.
import { z } from 'zod';
import { ALLOWED } from '../src/config/fields.js';
import { configSchema } from '../src/config/schema.js';

type Json = { [key: string]: unknown };
type Node = Json & {
  type?: string | string[];
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  anyOf?: Node[];
  additionalProperties?: Node | boolean;
  description?: string;
  default?: unknown;
  'x-allowed'?: string;
};

export const SCHEMA_FILE = 'switchyard.schema.json';
export const REFERENCE_FILE = 'docs/configuration.md';
export const REGENERATE = 'npm run config:docs';

/** The input side of the schema (what a file may say), with each key's "allowed" text. */
function annotated(): Node {
  return z.toJSONSchema(configSchema({}, '.'), {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def as { type: string; defaultValue?: unknown };
      // zod leaves out a default it cannot vouch for as an input (one in front of a transform);
      // every default here is also a valid value in the file.
      if (def.type === 'default' && !('default' in jsonSchema)) jsonSchema.default = def.defaultValue;
      const allowed = ALLOWED.get(zodSchema)?.allowed;
      if (allowed !== undefined) jsonSchema['x-allowed'] = allowed;
    },
  }) as Node;
}

function withoutAllowed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutAllowed);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== 'x-allowed')
      .map(([key, value]) => [key, withoutAllowed(value)]),
  );
}

export function renderJsonSchema(): string {
  const { $schema, ...rest } = withoutAllowed(annotated()) as Json;
  const schema = {
    $schema,
    title: 'switchyard configuration',
    description: `Generated from src/config/schema.ts by \`${REGENERATE}\`; the reference is ${REFERENCE_FILE}.`,
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

interface Row {
  readonly key: string;
  readonly type: string;
  readonly fallback: string;
  readonly allowed: string;
  readonly description: string;
}

/** The schema of a key without the null that stands for "absent". */
function present(node: Node): Node {
  const options = node.anyOf?.filter((option) => option.type !== 'null');
  if (options?.length !== 1) return node;
  const { anyOf: _anyOf, ...rest } = node;
  return { ...rest, ...options[0] };
}

function typeOf(node: Node): string {
  const [type = 'any'] = [node.type ?? 'any'].flat().filter((t) => t !== 'null');
  const plural = (text: string) => text.replace(/^(\w+)/, '$1s');
  if (type === 'array' && node.items !== undefined) return `list of ${plural(typeOf(node.items))}`;
  if (type === 'object' && node.properties === undefined && typeof node.additionalProperties === 'object') {
    return `mapping of ${plural(typeOf(node.additionalProperties))}`;
  }
  return ({ object: 'mapping', array: 'list' } as Record<string, string>)[type] ?? type;
}

function fallbackOf(node: Node, required: boolean): string {
  if (required) return 'required';
  if (!('default' in node) || node.default === null) return 'none';
  if (typeof node.default === 'object' && Object.keys(node.default as object).length === 0) {
    if (Array.isArray(node.default)) return '`[]`';
    return node.type === 'object' && node.properties !== undefined ? 'every key at its default' : '`{}`';
  }
  return `\`${JSON.stringify(node.default)}\``;
}

/** One row per key under `node` (a mapping of named keys), keys that hold keys included. */
function rowsOf(node: Node, prefix: string): Row[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => {
    const key = `${prefix}${name}`;
    const value = present(child);
    const row: Row = {
      key,
      type: typeOf(value),
      fallback: fallbackOf(value, node.required?.includes(name) === true),
      allowed: value['x-allowed'] ?? '',
      description: value.description ?? '',
    };
    if (value.properties !== undefined) return [row, ...rowsOf(value, `${key}.`)];
    if (value.items?.properties !== undefined) return [row, ...rowsOf(value.items, `${key}[].`)];
    return [row];
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderReference(): string {
  const root = annotated();
  const lines = [
    '# Configuration reference',
    '',
    `<!-- Generated from src/config/schema.ts by \`${REGENERATE}\`: edit the schema, not this file. -->`,
    '',
    'Every key of the configuration file (YAML, or JSON by its `.json` extension), by section:',
    'its type, its default, the values it takes and what it does. Durations are in',
    'milliseconds. A key left empty (`key:` with no value, or null) takes its default; a key',
    'not listed here is an error. `"${NAME}"` in `admin.token` and in `backends[].headers`',
    'values is read from the environment when the config is loaded. The checks that relate',
    'keys to each other (a backend region declared under zones, listen and admin on',
    'different ports, `telemetry.timeoutMs` <= `staleAfterMs`, ...) are in the descriptions.',
    '',
    `[\`${SCHEMA_FILE}\`](../${SCHEMA_FILE}) is the same schema as JSON Schema, for completion`,
    'and checks in editors. `switchyard validate FILE` lists every problem of a file.',
    '',
    ...Object.keys(root.properties ?? {}).map((name) => `- [${name}](#${name.toLowerCase()})`),
  ];
  for (const [name, child] of Object.entries(root.properties ?? {})) {
    const [row, ...rows] = rowsOf({ properties: { [name]: child }, required: root.required }, '');
    const whole = row?.fallback === 'required' ? 'Required.' : 'Optional: every key has a default.';
    const shown = row?.type === 'mapping' ? rows : [row, ...rows].filter((r) => r !== undefined);
    lines.push('', `## ${name}`, '', `${row?.description ?? ''} ${whole}`.trim(), '');
    lines.push('| Key | Type | Default | Allowed | Description |', '| --- | --- | --- | --- | --- |');
    for (const r of shown) {
      const columns = [`\`${r.key}\``, r.type, r.fallback, r.allowed, r.description];
      lines.push(`| ${columns.map(cell).join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

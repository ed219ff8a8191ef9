// One small command-line parser for the bench and replay commands. A command declares
// its options once, in a table: flags, numbers in a range, strings, one of a set, and
// comma-separated lists; the same table gives the --help text, and an error names the
// flag and what it expects. Built on node:util's parseArgs.
import { parseArgs } from 'node:util';

interface Base {
  readonly help: string;
  /** The placeholder in the help text: --seconds S. */
  readonly arg: string;
}
export interface Flag extends Base {
  readonly kind: 'flag';
}
export interface Num<D extends number | undefined> extends Base {
  readonly kind: 'number';
  readonly default: D;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}
export interface Text<D extends string | undefined> extends Base {
  readonly kind: 'text';
  readonly default: D;
}
export interface Choice<T extends string> extends Base {
  readonly kind: 'choice';
  readonly all: readonly T[];
  readonly default: T;
}
export interface List<T, D extends readonly T[] | undefined> extends Base {
  readonly kind: 'list';
  readonly default: D;
  readonly item: (raw: string, flag: string) => T;
}
export type Option =
  | Flag
  | Num<number | undefined>
  | Text<string | undefined>
  | Choice<string>
  | List<unknown, readonly unknown[] | undefined>;

type Value<O> = O extends Flag
  ? boolean
  : O extends Num<infer D>
    ? number | D
    : O extends Text<infer D>
      ? string | D
      : O extends Choice<infer T>
        ? T
        : O extends List<infer T, infer D>
          ? readonly T[] | D
          : never;

export type Parsed<S> = { readonly [K in keyof S]: Value<S[K]> };

export function flag(help: string): Flag {
  return { kind: 'flag', help, arg: '' };
}

/** A number from min to max (whole with `integer`); `dflt` undefined leaves the default to the caller. */
export function number<D extends number | undefined>(
  help: string,
  dflt: D,
  range: { min?: number; max?: number; integer?: boolean; arg?: string } = {},
): Num<D> {
  return {
    kind: 'number',
    help,
    arg: range.arg ?? 'N',
    default: dflt,
    min: range.min ?? Number.NEGATIVE_INFINITY,
    max: range.max ?? Number.POSITIVE_INFINITY,
    integer: range.integer ?? false,
  };
}

export function text<D extends string | undefined>(help: string, dflt: D, arg = 'X'): Text<D> {
  return { kind: 'text', help, arg, default: dflt };
}

export function choice<T extends string>(help: string, all: readonly T[], dflt: T): Choice<T> {
  const names = all.join('|');
  const short = names.length <= 12;
  return {
    kind: 'choice',
    help: short ? help : `${help}: ${all.join(', ')}`,
    arg: short ? names : 'NAME',
    all,
    default: dflt,
  };
}

function pick<T extends string>(all: readonly T[], raw: string, flag: string): T {
  const found = all.find((x) => x.toLowerCase() === raw.trim().toLowerCase());
  if (found === undefined) throw new Error(`${flag}: unknown "${raw.trim()}" (expected one of ${all.join(', ')})`);
  return found;
}

/** A comma-separated subset of `all` (any case); the default is all of them. */
export function oneOf<T extends string>(help: string, all: readonly T[]): List<T, readonly T[]>;
export function oneOf<T extends string, D extends readonly T[] | undefined>(
  help: string,
  all: readonly T[],
  dflt: D,
): List<T, D>;
export function oneOf<T extends string>(
  help: string,
  all: readonly T[],
  ...dflt: [] | [readonly T[] | undefined]
): List<T, readonly T[] | undefined> {
  // Not a default parameter: an explicit undefined (no default) must stay undefined.
  const d = dflt.length === 0 ? all : dflt[0];
  return { kind: 'list', help, arg: 'LIST', default: d, item: (raw, f) => pick(all, raw, f) };
}

/** A comma-separated list of numbers, each checked as number() checks one. */
export function numbers(
  help: string,
  dflt: readonly number[],
  range: { min?: number; max?: number; integer?: boolean } = {},
): List<number, readonly number[]> {
  const one = number(help, undefined, range);
  return { kind: 'list', help, arg: 'N,N', default: dflt, item: (raw, f) => toNumber(one, raw.trim(), f) };
}

function toNumber(o: Num<number | undefined>, raw: string, f: string): number {
  const n = Number(raw);
  const ok = raw !== '' && Number.isFinite(n) && n >= o.min && n <= o.max && (!o.integer || Number.isInteger(n));
  if (ok) return n;
  const what = o.integer ? 'a whole number' : 'a number';
  const low =
    o.min === Number.MIN_VALUE ? ' above 0' : o.min === Number.NEGATIVE_INFINITY ? '' : ` of at least ${o.min}`;
  const range =
    o.max === Number.POSITIVE_INFINITY
      ? low
      : low === '' || low === ' above 0'
        ? `${low}${low === '' ? '' : ','} up to ${o.max}`
        : ` from ${o.min} to ${o.max}`;
  throw new Error(`${f}: expected ${what}${range}, got "${raw}"`);
}

function shownDefault(o: Option): string {
  if (o.kind === 'flag' || o.default === undefined) return '';
  return ` (default ${Array.isArray(o.default) ? o.default.join(',') : String(o.default)})`;
}

export interface Command {
  /** The first line of --help: "usage: npm run bench:fleet [-- options]". */
  readonly usage: string;
  /** Lines after the options. */
  readonly notes?: string;
  /** Arguments after the options (after `--`) are passed on: the `rest` of the result. */
  readonly rest?: string;
}

export function helpText<S extends Record<string, Option>>(spec: S, command: Command): string {
  const options = Object.entries(spec as Record<string, Option>);
  const heads = options.map(([name, o]) => `--${name}${o.arg === '' ? '' : ` ${o.arg}`}`);
  const width = Math.max(6, ...heads.map((h) => h.length));
  const lines = options.map(([, o], i) => `  ${(heads[i] ?? '').padEnd(width)}  ${o.help}${shownDefault(o)}`);
  return [
    command.usage,
    ...lines,
    ...(command.rest === undefined ? [] : [`  ${'-- ...'.padEnd(width)}  ${command.rest}`]),
    ...(command.notes === undefined ? [] : [command.notes]),
  ].join('\n');
}

/** Parses argv against `spec`; throws with the flag named on a wrong value or an unknown option. */
export function parseArgv<S extends Record<string, Option>>(
  argv: readonly string[],
  spec: S,
  command: Command,
): Parsed<S> & { readonly help: boolean; readonly rest: readonly string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  const entries = Object.entries(spec as Record<string, Option>);
  for (const [name, o] of entries) options[name] = { type: o.kind === 'flag' ? 'boolean' : 'string' };
  const { values, positionals } = parseArgs({
    args: [...argv],
    options,
    strict: true,
    allowPositionals: command.rest !== undefined,
  });
  const out: Record<string, unknown> = { help: values.help === true, rest: positionals };
  for (const [name, o] of entries) {
    const raw = values[name];
    const f = `--${name}`;
    if (o.kind === 'flag') out[name] = raw === true;
    else if (typeof raw !== 'string') out[name] = o.default;
    else if (o.kind === 'number') out[name] = toNumber(o, raw, f);
    else if (o.kind === 'text') out[name] = raw;
    else if (o.kind === 'choice') out[name] = pick(o.all, raw, f);
    else out[name] = raw.split(',').map((s) => o.item(s, f));
  }
  return out as Parsed<S> & { help: boolean; rest: readonly string[] };
}

/**
 * The command's options from process.argv: --help prints the help text and exits 0; a
 * wrong option prints what is wrong and the help text, and exits 2.
 */
export function commandLine<S extends Record<string, Option>>(
  spec: S,
  command: Command,
  argv: readonly string[] = process.argv.slice(2),
): Parsed<S> & { readonly rest: readonly string[] } {
  let parsed: ReturnType<typeof parseArgv<S>>;
  try {
    parsed = parseArgv(argv, spec, command);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${helpText(spec, command)}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(`${helpText(spec, command)}\n`);
    process.exit(0);
  }
  return parsed;
}

// How problems read: one line each, `<key path>: <what is wrong> (<what would be right>)`,
// the key path in the file's own terms and values quoted as the file has them.

// Keys that read well after a dot; anything else (dots, spaces, "") is quoted in brackets.
const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;

/** `(root)` for the document itself, for a config that is not a mapping at all. */
export function pathText(path: readonly PropertyKey[]): string {
  const text = path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      if (!PLAIN_KEY.test(String(key))) return `[${JSON.stringify(String(key))}]`;
      return i === 0 ? String(key) : `.${String(key)}`;
    })
    .join('');
  return text === '' ? '(root)' : text;
}

export function quote(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.length <= 60 ? quoted : `${quoted.slice(0, 56)}..."`;
}

/** How a value looks to the user, for "got ..." messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

export function listOf(values: Iterable<string>): string {
  const sorted = [...values].sort();
  return sorted.length > 0 ? sorted.join(', ') : 'none';
}

/** The problem with a value that is absent, of the wrong type or out of range. */
export function says(expected: string): (issue: { readonly input?: unknown }) => string {
  return ({ input }) =>
    input === undefined ? `missing (required: ${expected})` : `got ${describe(input)} (expected ${expected})`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Plain-text and Markdown tables for console output and the result files.

export type Cell = string | number;

function text(c: Cell): string {
  return typeof c === 'number' ? String(c) : c;
}

/** Columns padded to width; numbers (and cells that look numeric) right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const all = [headers.map(text), ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) =>
    rows.every((r) => /^[-+]?[\d.,]+( ?[a-zA-Zµ%x/]+)?$|^n\/a$|^-$/.test(text(r[i] ?? '-'))),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(all[0] ?? []), rule, ...all.slice(1).map(line)].join('\n');
}

export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const esc = (c: Cell): string => text(c).replace(/\|/g, '\\|');
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+|^n\/a$|^-$/.test(text(r[i] ?? ''))),
  );
  const cells = rows.map((r) => headers.map((_, i) => esc(r[i] ?? '')));
  // Padded as the formatter (biome) lays tables out, so a regenerated file passes lint.
  const widths = headers.map((h, i) => Math.max(3, esc(h).length, ...cells.map((r) => (r[i] as string).length)));
  const pad = (c: string, i: number): string =>
    numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number);
  const line = (r: readonly string[]): string => `| ${r.map(pad).join(' | ')} |`;
  return [
    line(headers.map(esc)),
    `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
    ...cells.map(line),
  ].join('\n');
}

/** Fixed significant digits without exponent noise: 0.0123, 1.23, 123, 12,345. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs === 0) return '0';
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
  return x.toFixed(Math.min(decimals, 6));
}

/** One blank line between blocks and one newline at the end, as the formatter wants a Markdown file. */
export function tidyMarkdown(text: string): string {
  return `${text.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

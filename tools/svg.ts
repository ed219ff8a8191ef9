// What the hand-written SVG charts share (no charting dependency): one escaping function,
// one font stack, one palette, and the element primitives they are built from.

export const FONT_STACK = 'system-ui, -apple-system, Segoe UI, sans-serif';

/** Every colour a chart uses, by what it is for. */
export const PALETTE = {
  background: 'white',
  /** The same white as spelled in bench/results.svg (kept so that chart regenerates byte for byte). */
  backgroundShort: '#fff',
  ink: '#111827',
  caption: '#333',
  subtitle: '#555',
  axis: '#888',
  missing: '#999',
  frame: '#9ca3af',
  grid: '#e5e7eb',
  bound: '#c00',
  fault: '#fee2e2',
  blue: '#2563eb',
  lightBlue: '#60a5fa',
  amber: '#d97706',
  lightAmber: '#fbbf24',
  green: '#059669',
  lightGreen: '#34d399',
  paleGreen: '#6ee7b7',
  pink: '#db2777',
  violet: '#7c3aed',
  cyan: '#0891b2',
  lime: '#65a30d',
  /** Muted hues for bar series. */
  steel: '#4e79a7',
  orange: '#f28e2b',
  leaf: '#59a14f',
  mauve: '#b07aa1',
} as const;

const P = PALETTE;
/** Series that are all alike (regions): distinct hues. */
export const SERIES_COLOURS: readonly string[] = [P.blue, P.amber, P.green, P.pink, P.violet, P.cyan, P.lime];
/** Series in pairs of one hue, dark then light (regions grouped by zone). */
export const PAIRED_COLOURS: readonly string[] = [
  P.blue,
  P.lightBlue,
  P.amber,
  P.lightAmber,
  P.green,
  P.lightGreen,
  P.paleGreen,
];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type Attrs = Readonly<Record<string, string | number | undefined>>;

/** `<tag a="1" .../>`, or with `inner` (markup, not escaped) `<tag ...>inner</tag>`; attributes in the order given, undefined ones left out. */
export function el(tag: string, attrs: Attrs, inner?: string): string {
  let s = `<${tag}`;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) s += ` ${k}="${esc(String(v))}"`;
  return inner === undefined ? `${s}/>` : `${s}>${inner}</${tag}>`;
}

/** A text element; its content is escaped. */
export function text(attrs: Attrs, content: string | number): string {
  return el('text', attrs, esc(String(content)));
}

/** The font attribute for charts that set it per text element. */
export const FONT = { 'font-family': FONT_STACK } as const;

/**
 * A whole SVG file: the root element (with the font stack on it when `font`), a
 * background rectangle, then `parts`, each preceded by `separator` (a newline and an
 * indent, for a file meant to be read, or nothing).
 */
export function svgDocument(
  width: number,
  height: number,
  parts: readonly string[],
  opts: { font?: boolean; background?: string; separator?: string } = {},
): string {
  const sep = opts.separator ?? '';
  const root = el('svg', {
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    ...(opts.font === true ? FONT : {}),
  }).slice(0, -2);
  const background = el('rect', { width: '100%', height: '100%', fill: opts.background ?? P.background });
  const body = [background, ...parts].map((p) => `${sep}${p}`).join('');
  return `${root}>${body}${sep === '' ? '' : '\n'}</svg>\n`;
}

// One path for routing and forwarding. The router picks a deployment from the path and
// the backend serves one from the path; if they read it differently (a backend that
// resolves `..`, merges `//` or decodes `%64eployments`), the backend can serve a
// deployment the router never routed, outside its boundary. So the request target is
// normalised once, here, and both the routing and the forwarded request use the result:
//
// - origin form only: an absolute-form target (`http://host/path`) becomes its path
//   and query (RFC 9112 3.2.2: the authority in it is not ours to route on); `*` and
//   authority form are refused;
// - percent-encoded unreserved characters (letters, digits, `-._~`) are decoded, as
//   RFC 3986 6.2.2.2 says every reader may do;
// - repeated slashes are merged;
// - what cannot be normalised safely is refused: `.` and `..` segments (raw or
//   encoded), encoded `/` and `\`, a raw `\`, malformed `%` escapes, a fragment.
//
// The query is left as it is. A target that needs none of this (the common case) is
// returned as the same string, without allocating.

export interface TargetProblem {
  readonly message: string;
}

const problem = (what: string): TargetProblem =>
  Object.freeze({ message: `${what}; send an origin-form path such as /v1/chat/completions` });

const ASTERISK = problem('the request target "*" names no resource to route');
const NOT_ORIGIN_FORM = problem('the request target is not a path');
const DOT_SEGMENT = problem('the path has a "." or ".." segment (raw or percent-encoded)');
const ENCODED_SEPARATOR = problem('the path has an encoded "/" or "\\" (%2F, %5C)');
const BACKSLASH = problem('the path has a "\\"');
const BAD_ESCAPE = problem('the path has a malformed percent escape');
const FRAGMENT = problem('the request target has a fragment ("#")');

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;
const BACKSLASH_CODE = 92;
const QUESTION = 63;
const HASH = 35;

export function normaliseTarget(target: string): string | TargetProblem {
  let t = target;
  if (t.charCodeAt(0) !== SLASH) {
    const origin = originFormOf(t);
    if (typeof origin !== 'string') return origin;
    t = origin;
  }
  // Fast scan: anything that could need work sends the target to the slow path.
  const n = t.length;
  let i = 0;
  for (; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c === QUESTION) break;
    if (c === PERCENT || c === BACKSLASH_CODE || c === HASH) return slowPath(t);
    if (c === SLASH && i + 1 < n) {
      const next = t.charCodeAt(i + 1);
      if (next === SLASH || next === DOT) return slowPath(t);
    }
  }
  if (i < n && t.indexOf('#', i) !== -1) return FRAGMENT;
  return t;
}

/** Absolute form to origin form; anything else that does not start with "/" is refused. */
function originFormOf(t: string): string | TargetProblem {
  if (t === '*') return ASTERISK;
  const lower = t.slice(0, 8).toLowerCase();
  const schemeEnd = lower.startsWith('http://') ? 7 : lower.startsWith('https://') ? 8 : -1;
  if (schemeEnd === -1) return NOT_ORIGIN_FORM;
  for (let i = schemeEnd; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === SLASH) return t.slice(i);
    if (c === QUESTION || c === HASH) return `/${t.slice(i)}`;
  }
  return '/';
}

function slowPath(t: string): string | TargetProblem {
  const q = t.indexOf('?');
  const path = q === -1 ? t : t.slice(0, q);
  const query = q === -1 ? '' : t.slice(q);
  if (t.indexOf('#') !== -1) return FRAGMENT;
  if (path.indexOf('\\') !== -1) return BACKSLASH;
  const decoded = decodeUnreserved(path);
  if (typeof decoded !== 'string') return decoded;
  const segments = decoded.split('/');
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === '') continue;
    if (segment === '.' || segment === '..') return DOT_SEGMENT;
    kept.push(segment);
  }
  const trailing = decoded.length > 1 && decoded.charCodeAt(decoded.length - 1) === SLASH && kept.length > 0;
  return `/${kept.join('/')}${trailing ? '/' : ''}${query}`;
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  );
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodeUnreserved(path: string): string | TargetProblem {
  if (path.indexOf('%') === -1) return path;
  let out = '';
  let from = 0;
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) !== PERCENT) continue;
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return BAD_ESCAPE;
    const value = hi * 16 + lo;
    if (value === SLASH || value === BACKSLASH_CODE) return ENCODED_SEPARATOR;
    if (isUnreserved(value)) {
      out += path.slice(from, i) + String.fromCharCode(value);
      from = i + 3;
    }
    i += 2;
  }
  return out + path.slice(from);
}

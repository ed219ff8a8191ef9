// URLs are shown in /capacity, on the dashboard, in logs and in config problems, and
// URLs carry secrets: userinfo (`user:pass@`) and query values (`access_token`, a SAS
// `sig`, an Azure Functions `code`, or whatever name a service picked). No list of
// secret-looking names can know them all, so every query value reads REDACTED except
// those of a few keys known to be harmless; an item without `=` (`?sk-abc123`) is
// all value as far as anyone can tell, and reads REDACTED too. The fragment is never
// sent anywhere and is where OAuth puts tokens: it reads REDACTED as well. The scheme,
// host, path and query keys stay, so the URL still says which source or path it was.
//
// Works on absolute URLs and on request targets (`/path?query`, a CONNECT's
// `host:port`) alike. It runs on the access log of every request: it scans in place
// and returns its argument unchanged (no allocation) when there is nothing to redact.

export const REDACTED = 'REDACTED';

// Keys whose values are shown, compared case-insensitively once percent-decoded. Each is
// a public setting whose value is a version, a name or a number, and each helps to read
// a log line:
// - `api-version`: on every Azure OpenAI request; a wrong one explains a backend's 404.
// - `limit`: the page size of OpenAI's list endpoints (`GET /v1/files?limit=20`).
// - `format`: how an exporter renders a report (`/telemetry?format=json`); a poll that
//   fails as malformed often asked for the wrong one.
// A source that passes a credential under one of these names is misusing it; even then
// a value is shown only when it looks like a setting (SHOWN_VALUE_CHARS below).
const SHOWN_KEYS: readonly string[] = ['api-version', 'limit', 'format'];

// A shown key's value is shown only when it is at most this long and made of letters,
// digits, `.`, `_` and `-` ("2024-10-21", "json", "100"); anything else reads REDACTED.
const SHOWN_VALUE_CHARS = 32;

export function redactUrl(url: string): string {
  const hashAt = url.indexOf('#');
  const end = hashAt === -1 ? url.length : hashAt;
  let queryAt = url.indexOf('?');
  if (queryAt >= end) queryAt = -1;
  const pathEnd = queryAt === -1 ? end : queryAt;
  const userinfo = userinfoOf(url, pathEnd);
  const query = queryAt === -1 ? null : redactQuery(url, queryAt + 1, end);
  const fragment = hashAt !== -1 && hashAt + 1 < url.length;
  if (userinfo === null && query === null && !fragment) return url;
  const head =
    userinfo === null
      ? url.slice(0, pathEnd)
      : `${url.slice(0, userinfo.start)}${REDACTED}${url.slice(userinfo.at, pathEnd)}`;
  const search = queryAt === -1 ? '' : `?${query ?? url.slice(queryAt + 1, end)}`;
  return `${head}${search}${hashAt === -1 ? '' : fragment ? `#${REDACTED}` : '#'}`;
}

/**
 * Where userinfo starts and the `@` that ends it, in `scheme://userinfo@host` or in an
 * authority alone (a CONNECT target, `userinfo@host:443`); null without.
 */
function userinfoOf(url: string, pathEnd: number): { start: number; at: number } | null {
  const first = url.indexOf('@');
  if (first === -1 || first >= pathEnd) return null;
  const sep = url.indexOf('://');
  let start: number;
  if (sep > 0 && sep < first && isScheme(url, sep)) start = sep + 3;
  else if (url.charCodeAt(0) !== 0x2f) start = 0;
  else return null;
  // The authority ends at the path; for http(s), a backslash starts the path too.
  let stop = start;
  while (stop < pathEnd) {
    const c = url.charCodeAt(stop);
    if (c === 0x2f || c === 0x5c) break;
    stop++;
  }
  // The last @ of the authority ends the userinfo: a password may hold a raw @.
  const at = url.lastIndexOf('@', stop - 1);
  return at < start ? null : { start, at };
}

function isScheme(url: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = url.charCodeAt(i) | 0x20;
    const letter = c >= 0x61 && c <= 0x7a;
    if (!letter && (i === 0 || !isSchemeSymbol(url.charCodeAt(i)))) return false;
  }
  return true;
}

function isSchemeSymbol(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}

/** The query from..to with every value but the shown ones redacted; null when nothing changes. */
function redactQuery(url: string, from: number, to: number): string | null {
  let out: string | null = null;
  let copied = from;
  let i = from;
  while (i < to) {
    let amp = url.indexOf('&', i);
    if (amp === -1 || amp > to) amp = to;
    let eq = url.indexOf('=', i);
    if (eq >= amp) eq = -1;
    // An empty item or an empty value hides nothing.
    const hides = eq === -1 ? amp > i : amp > eq + 1;
    if (hides && !shown(url, i, eq === -1 ? amp : eq, eq === -1 ? amp : eq + 1, amp)) {
      const keep = eq === -1 ? i : eq + 1;
      out = `${out ?? ''}${url.slice(copied, keep)}${REDACTED}`;
      copied = amp;
    }
    i = amp + 1;
  }
  return out === null ? null : out + url.slice(copied, to);
}

function shown(url: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): boolean {
  if (valueEnd - valueStart > SHOWN_VALUE_CHARS) return false;
  for (let i = valueStart; i < valueEnd; i++) {
    if (!isSettingChar(url.charCodeAt(i))) return false;
  }
  let plain = true;
  for (let i = keyStart; i < keyEnd && plain; i++) {
    const c = url.charCodeAt(i);
    plain = c !== 0x25 && c !== 0x2b; // % and +
  }
  if (plain) {
    for (const name of SHOWN_KEYS) if (sameCaseless(url, keyStart, keyEnd, name)) return true;
    return false;
  }
  const key = decoded(url.slice(keyStart, keyEnd));
  return key !== null && SHOWN_KEYS.includes(key.toLowerCase());
}

function isSettingChar(c: number): boolean {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
}

/** Whether url[start..end) is `name` (lower case ASCII), ignoring case. */
function sameCaseless(url: string, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = url.charCodeAt(start + i);
    const lower = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    if (lower !== name.charCodeAt(i)) return false;
  }
  return true;
}

function decoded(key: string): string | null {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

// URLs are shown in /capacity and in logs, and URLs carry secrets: userinfo
// (`user:pass@`) and query parameters such as `access_token`, `api-key` or a SAS
// `sig`. Wherever a URL is shown, those parts read REDACTED; everything else stays, so
// the URL still says which source or path it was.
//
// Works on absolute URLs and on request targets (`/path?query`) alike, and returns its
// argument unchanged (no allocation) when there is nothing to redact.

export const REDACTED = 'REDACTED';

// Query keys whose values are credentials. Matched on the key only, case-insensitively.
const SECRET_KEY = /token|secret|passw|pwd|key|sig|auth|credential|session|jwt|bearer/i;
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/;

export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  const at = url.indexOf('@');
  if (query === -1 && at === -1) return url;
  let out = url;
  if (at !== -1 && (query === -1 || at < query)) out = out.replace(USERINFO, `$1${REDACTED}@`);
  const q = out.indexOf('?');
  return q === -1 ? out : out.slice(0, q + 1) + redactQuery(out.slice(q + 1));
}

function redactQuery(query: string): string {
  const hash = query.indexOf('#');
  const body = hash === -1 ? query : query.slice(0, hash);
  const tail = hash === -1 ? '' : query.slice(hash);
  let changed = false;
  const pairs = body.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (eq === -1 || !SECRET_KEY.test(decodedKey(key))) return pair;
    changed = true;
    return `${key}=${REDACTED}`;
  });
  return changed ? pairs.join('&') + tail : query;
}

function decodedKey(key: string): string {
  if (key.indexOf('%') === -1 && key.indexOf('+') === -1) return key;
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

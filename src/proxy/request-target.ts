// Which deployment a request names: the Azure-style path first, else the OpenAI-style
// `model` field of its JSON body.
import { echoName } from './echo.js';
import { type JsonModelScan, SCAN_INVALID, SCAN_OK } from './json-model-scan.js';

const AZURE_PREFIX = '/openai/deployments/';

/** ASCII case-insensitive startsWith, without allocating: backends differ on path case. */
function startsWithCaseless(text: string, lowerPrefix: string): boolean {
  if (text.length < lowerPrefix.length) return false;
  for (let i = 0; i < lowerPrefix.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lowerPrefix.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The deployment named in a normalised path, or null when the path is not Azure style.
 * The prefix matches in any case: a backend that ignores case would otherwise serve
 * `/OpenAI/Deployments/x` as deployment x while the router routed the body's model.
 */
export function deploymentFromPath(url: string): string | null {
  if (!startsWithCaseless(url, AZURE_PREFIX)) return null;
  const start = AZURE_PREFIX.length;
  let end = start;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    end++;
  }
  if (end === start) return null;
  const raw = url.slice(start, end);
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Whether a body on an Azure-style path is JSON to check: a JSON media type
 * (`application/json`, `application/*+json`), or none at all, which JSON APIs read as
 * JSON too. Multipart uploads (audio, files), other types, and a body sent compressed
 * (Content-Encoding) pass as they are. Reads the header in place.
 */
export function isJsonBody(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentEncoding !== undefined && !isToken(contentEncoding, 'identity')) return false;
  if (contentType === undefined) return true;
  let end = contentType.indexOf(';');
  if (end === -1) end = contentType.length;
  while (end > 0 && isSpace(contentType.charCodeAt(end - 1))) end--;
  let start = 0;
  while (start < end && isSpace(contentType.charCodeAt(start))) start++;
  if (start === end) return true;
  const subtype = start + APPLICATION.length;
  if (end <= subtype || !sameCaseless(contentType, start, subtype, APPLICATION)) return false;
  return sameCaseless(contentType, subtype, end, 'json') || sameCaseless(contentType, end - 5, end, '+json');
}

const APPLICATION = 'application/';

function isToken(text: string, lower: string): boolean {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return sameCaseless(text, start, end, lower);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Whether text[from..to) is `lower` (lower case ASCII), ignoring case. */
function sameCaseless(text: string, from: number, to: number, lower: string): boolean {
  if (from < 0 || to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = text.charCodeAt(from + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * A JSON body on a path that names the deployment, from a finished scan without
 * "model" rules: null when it is fine (or empty), else why it is refused (InvalidJson,
 * as for an OpenAI-style body).
 */
export function pathBodyProblem(body: Buffer, scan: JsonModelScan): string | null {
  if (body.length === 0 || scan.finish() === SCAN_OK) return null;
  return scan.message;
}

export type BodyTarget =
  | { readonly ok: true; readonly deployment: string }
  | {
      readonly ok: false;
      readonly code: 'InvalidJson' | 'MissingDeployment' | 'DeploymentNotFound';
      readonly message: string;
    };

/**
 * The deployment an OpenAI-style body names, from a finished scan of it. maxNameBytes:
 * the longest a configured name can be in the body (escapes included); a longer value
 * names nothing and is not decoded whole.
 */
export function deploymentFromBody(body: Buffer, scan: JsonModelScan, maxNameBytes: number): BodyTarget {
  if (body.length === 0) {
    return {
      ok: false,
      code: 'MissingDeployment',
      message: 'no deployment: use /openai/deployments/{name}/... or a JSON body with a "model" field',
    };
  }
  const outcome = scan.finish();
  if (outcome === SCAN_INVALID) return { ok: false, code: 'InvalidJson', message: scan.message };
  if (outcome !== SCAN_OK) return { ok: false, code: 'MissingDeployment', message: scan.message };
  const { modelStart: start, modelEnd: end } = scan;
  if (end - start > maxNameBytes) {
    const shown = body.toString('utf8', start, Math.min(end, start + 64));
    return {
      ok: false,
      code: 'DeploymentNotFound',
      message: `deployment "${echoName(shown)}..." (${end - start} bytes) is not configured here`,
    };
  }
  // With escapes, the value is decoded as the JSON string it is; a short one, bounded above.
  const name = scan.modelEscaped
    ? (JSON.parse(body.toString('utf8', start - 1, end + 1)) as string)
    : body.toString('utf8', start, end);
  return { ok: true, deployment: name };
}

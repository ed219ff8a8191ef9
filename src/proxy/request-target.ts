// Which deployment a request names: the Azure-style path first, else the OpenAI-style
// `model` field of its JSON body.

const AZURE_PREFIX = '/openai/deployments/';

/** The deployment named in the path, or null when the path is not Azure style. */
export function deploymentFromPath(url: string): string | null {
  if (!url.startsWith(AZURE_PREFIX)) return null;
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

export type BodyTarget =
  | { readonly ok: true; readonly deployment: string }
  | { readonly ok: false; readonly code: 'InvalidJson' | 'MissingDeployment'; readonly message: string };

export function deploymentFromBody(body: Buffer): BodyTarget {
  if (body.length === 0) {
    return {
      ok: false,
      code: 'MissingDeployment',
      message: 'no deployment: use /openai/deployments/{name}/... or a JSON body with a "model" field',
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return {
      ok: false,
      code: 'InvalidJson',
      message: `request body is not valid JSON (${(err as Error).message}); send a JSON object with a "model" field`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: 'InvalidJson', message: 'request body must be a JSON object with a "model" field' };
  }
  const model = (parsed as { model?: unknown }).model;
  if (typeof model !== 'string' || model === '') {
    return { ok: false, code: 'MissingDeployment', message: 'request body has no "model" field naming a deployment' };
  }
  return { ok: true, deployment: model };
}

// Finds the region that holds an object this router has not seen: a GET of the object
// on every region of the boundary at once, with the client's own credentials (and each
// backend's own headers, as for any request to it). The first 200 wins and the other
// questions are abandoned; a 404 from every region means no region holds it. A region
// that cannot be asked (down, timing out, answering 5xx) may be the home, so its
// silence is never read as "not here".
import type { Dispatcher } from 'undici';
import type { RegionUpstream } from '../upstream.js';

export type Finding =
  | { readonly kind: 'found'; readonly region: string }
  | { readonly kind: 'unknown' }
  /** No 200, and these regions could not say (the home may be among them). */
  | { readonly kind: 'unanswered'; readonly regions: readonly string[] }
  /** Every region that answered refused the credentials: the client's to fix. */
  | { readonly kind: 'denied'; readonly status: number; readonly body: Buffer; readonly contentType: string };

/** Client headers a probe carries: who is asking (auth), nothing of the request itself. */
const PROBE_HEADERS = new Set(['authorization', 'api-key', 'openai-organization', 'openai-project']);

export function probeHeadersOf(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (PROBE_HEADERS.has(name.toLowerCase())) out.push(name, rawHeaders[i + 1] as string);
  }
  return out;
}

interface RegionAnswer {
  readonly region: string;
  readonly status: number;
  readonly body: Buffer | null;
  readonly contentType: string;
}

/** Largest answer body read back for a refusal (an object's own body is discarded). */
const MAX_KEPT_BODY = 16 * 1024;

export async function findHome(
  upstreams: readonly RegionUpstream[],
  path: string,
  headers: readonly string[],
  deployment: string,
  timeoutMs: number,
  nowMs: number,
): Promise<Finding> {
  if (upstreams.length === 0) return { kind: 'unknown' };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('probe timed out')), timeoutMs);
  let found: string | null = null;
  const ask = async (upstream: RegionUpstream): Promise<RegionAnswer> => {
    const backend = upstream.pickBackend(nowMs);
    const own = backend.settings?.apply(deployment, path, headers, null, -1, -1) ?? { path, headers };
    try {
      const answer = await backend.pool.request({
        method: 'GET',
        path: own.path,
        headers: own.headers as string[],
        signal: controller.signal,
      } as Dispatcher.RequestOptions);
      const status = answer.statusCode;
      if (status === 200) {
        found ??= upstream.region;
        controller.abort(new Error('found'));
      }
      const keep = status === 401 || status === 403;
      let body: Buffer | null = null;
      if (keep) body = await readCapped(answer.body);
      else await answer.body.dump().catch(() => undefined);
      const type = answer.headers['content-type'];
      return {
        region: upstream.region,
        status,
        body,
        contentType: typeof type === 'string' ? type : 'application/json',
      };
    } catch {
      return { region: upstream.region, status: 0, body: null, contentType: '' };
    }
  };
  try {
    const answers = await Promise.all(upstreams.map(ask));
    if (found !== null) return { kind: 'found', region: found };
    const silent = answers.filter((a) => a.status !== 404 && a.status !== 401 && a.status !== 403);
    if (silent.length > 0) return { kind: 'unanswered', regions: silent.map((a) => a.region) };
    if (answers.every((a) => a.status === 404)) return { kind: 'unknown' };
    const refusal = answers.find((a) => a.status === 401 || a.status === 403) as RegionAnswer;
    return {
      kind: 'denied',
      status: refusal.status,
      body: refusal.body ?? Buffer.alloc(0),
      contentType: refusal.contentType,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { dump(): Promise<void> }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > MAX_KEPT_BODY) break;
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks);
}

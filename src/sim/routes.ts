// The inference paths a simulated backend answers, in the forms real services use:
// OpenAI's /v1/..., Azure OpenAI's /openai/deployments/{name}/... (the deployment in
// the path), its v1 API /openai/v1/... and its preview /openai/responses (the model in
// the body).

export type SimApi = 'chat' | 'embeddings' | 'responses';

export interface ApiRoute {
  readonly api: SimApi;
  /** The deployment named in an Azure path; null when the body's `model` names it. */
  readonly deployment: string | null;
}

const AZURE_PREFIX = '/openai/deployments/';
const BODY_MODEL_PREFIXES = ['/v1/', '/openai/v1/', '/openai/'];

// One route object per API for the body-model forms: nothing allocated per request.
const BY_SUFFIX: ReadonlyMap<string, ApiRoute> = new Map<string, ApiRoute>([
  ['chat/completions', { api: 'chat', deployment: null }],
  ['embeddings', { api: 'embeddings', deployment: null }],
  ['responses', { api: 'responses', deployment: null }],
]);

/** The API a path (without its query) asks for, or null for any other path. */
export function apiRouteOf(path: string): ApiRoute | null {
  if (path.startsWith(AZURE_PREFIX)) {
    const slash = path.indexOf('/', AZURE_PREFIX.length);
    if (slash <= AZURE_PREFIX.length) return null;
    const route = BY_SUFFIX.get(path.slice(slash + 1));
    if (route === undefined) return null;
    try {
      return { api: route.api, deployment: decodeURIComponent(path.slice(AZURE_PREFIX.length, slash)) };
    } catch {
      return null;
    }
  }
  for (const prefix of BODY_MODEL_PREFIXES) {
    if (!path.startsWith(prefix)) continue;
    const route = BY_SUFFIX.get(path.slice(prefix.length));
    if (route !== undefined) return route;
  }
  return null;
}

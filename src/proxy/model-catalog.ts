// GET /v1/models on the data listener: the configured deployments in OpenAI's list
// shape, so that an OpenAI client pointed at the router can list what it may ask for
// (client.models.list() is often the first call an SDK or a tool makes). Also on
// Azure OpenAI's paths (/openai/models, /openai/v1/models). The answers are rendered
// once, when the config is loaded; a look-up costs a few string comparisons.

const PREFIXES = ['/v1/models', '/openai/v1/models', '/openai/models'];

/** The router's own deployments are not a vendor's models: say who answers. */
export const OWNER = 'switchyard';

export type CatalogAnswer =
  | { readonly found: true; readonly body: Buffer }
  | { readonly found: false; readonly id: string };

export class ModelCatalog {
  private readonly list: CatalogAnswer;
  private readonly byId: ReadonlyMap<string, CatalogAnswer>;

  /** names: the deployments, in config order; createdS: when they were loaded (Unix seconds). */
  constructor(names: readonly string[], createdS: number) {
    const models = names.map((id) => ({ id, object: 'model', created: createdS, owned_by: OWNER }));
    this.list = { found: true, body: Buffer.from(JSON.stringify({ object: 'list', data: models })) };
    this.byId = new Map(models.map((m) => [m.id, { found: true, body: Buffer.from(JSON.stringify(m)) }]));
  }

  /** The answer to a GET of `target` (a normalised path, query allowed), or null when it is no models path. */
  lookup(target: string): CatalogAnswer | null {
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    for (const prefix of PREFIXES) {
      if (!path.startsWith(prefix)) continue;
      if (path.length === prefix.length || (path.length === prefix.length + 1 && path.endsWith('/'))) return this.list;
      if (path.charCodeAt(prefix.length) !== 47 /* / */) continue;
      const raw = path.slice(prefix.length + 1);
      let id = raw;
      try {
        id = decodeURIComponent(raw);
      } catch {
        // Not a name any deployment has: reported as unknown, as sent.
      }
      return this.byId.get(id) ?? { found: false, id };
    }
    return null;
  }
}

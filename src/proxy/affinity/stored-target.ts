// Which requests concern stored state, read off the (normalised) target alone: the
// Responses, Conversations, Files and Batches paths on OpenAI's form (/v1/...) and
// Azure OpenAI's (/openai/v1/..., /openai/...?api-version=). Every other path, chat
// completions and embeddings included, is rejected within a few character compares:
// requests that carry no stored state pay nothing more.

export type Collection = 'responses' | 'conversations' | 'files' | 'batches';

export interface StoredTarget {
  readonly collection: Collection;
  /** The object the path names (as sent, percent-encoding kept); null for the collection itself. */
  readonly id: string | null;
  /** What follows the id ('' | 'cancel' | 'input_items' | 'items' | 'items/{id}' | 'content'). */
  readonly rest: string;
  /** The API prefix as the client wrote it: '/v1/', '/openai/v1/' or '/openai/'. */
  readonly prefix: string;
  /** The query ('' or '?...'): Azure's api-version travels with a probe of the same API. */
  readonly query: string;
}

const V1 = '/v1/';
const AZURE_V1 = '/openai/v1/';
const AZURE = '/openai/';

/** The stored-state target of a request path, or null (most requests). */
export function storedTargetOf(url: string): StoredTarget | null {
  const c1 = url.charCodeAt(1);
  let prefix: string;
  if (c1 === 0x76 /* v */) {
    if (!url.startsWith(V1)) return null;
    prefix = V1;
  } else if (c1 === 0x6f /* o */) {
    if (url.startsWith(AZURE_V1)) prefix = AZURE_V1;
    else if (url.startsWith(AZURE)) prefix = AZURE;
    else return null;
  } else return null;
  const at = prefix.length;
  const collection = collectionAt(url, at);
  if (collection === null) return null;
  let end = at + collection.length;
  const q = url.indexOf('?', end);
  const query = q === -1 ? '' : url.slice(q);
  const pathEnd = q === -1 ? url.length : q;
  if (end === pathEnd) return { collection, id: null, rest: '', prefix, query };
  if (url.charCodeAt(end) !== 0x2f /* / */) return null;
  end++;
  const slash = url.indexOf('/', end);
  const idEnd = slash === -1 || slash > pathEnd ? pathEnd : slash;
  if (idEnd === end) return null;
  const id = url.slice(end, idEnd);
  const rest = idEnd === pathEnd ? '' : url.slice(idEnd + 1, pathEnd);
  return { collection, id, rest, prefix, query };
}

function collectionAt(url: string, at: number): Collection | null {
  switch (url.charCodeAt(at)) {
    case 0x72 /* r */:
      return url.startsWith('responses', at) ? 'responses' : null;
    case 0x63 /* c */:
      return url.startsWith('conversations', at) ? 'conversations' : null;
    case 0x66 /* f */:
      return url.startsWith('files', at) ? 'files' : null;
    case 0x62 /* b */:
      return url.startsWith('batches', at) ? 'batches' : null;
    default:
      return null;
  }
}

/** The id as a cache key: percent-decoded when it is encoded. */
export function idKey(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Whether the request makes new stored objects whose ids its answer names (POST on a collection). */
export function createsObjects(method: string | undefined, target: StoredTarget): boolean {
  return method === 'POST' && target.id === null;
}

/** The path that retrieves object `id` of `collection` with the API the request used. */
export function retrievePath(target: StoredTarget, collection: Collection, id: string): string {
  return `${target.prefix}${collection}/${encodeURIComponent(id)}${target.query}`;
}

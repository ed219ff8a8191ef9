// The stored-object paths a simulated region answers, on OpenAI's (/v1/...) and Azure
// OpenAI's (/openai/v1/..., /openai/...?api-version=) forms: Responses by id,
// Conversations and their items, Files and Batches.

export type StoredCollection = 'responses' | 'conversations' | 'files' | 'batches';

export interface StoredPath {
  readonly collection: StoredCollection;
  /** The object named in the path; null for the collection itself. */
  readonly id: string | null;
  /** What follows the id: '' | 'cancel' | 'input_items' | 'items' | 'items/{id}' | 'content'. */
  readonly rest: string;
}

const PREFIXES = ['/v1/', '/openai/v1/', '/openai/'];
const COLLECTIONS: readonly StoredCollection[] = ['responses', 'conversations', 'files', 'batches'];

/** The stored-object path `path` (no query) names, or null. POST /v1/responses itself is an inference call, not this. */
export function storedPathOf(path: string): StoredPath | null {
  for (const prefix of PREFIXES) {
    if (!path.startsWith(prefix)) continue;
    const tail = path.slice(prefix.length);
    for (const collection of COLLECTIONS) {
      if (tail === collection) return { collection, id: null, rest: '' };
      if (!tail.startsWith(`${collection}/`)) continue;
      const after = tail.slice(collection.length + 1);
      const slash = after.indexOf('/');
      const raw = slash === -1 ? after : after.slice(0, slash);
      if (raw === '') return null;
      let id: string;
      try {
        id = decodeURIComponent(raw);
      } catch {
        return null;
      }
      return { collection, id, rest: slash === -1 ? '' : after.slice(slash + 1) };
    }
  }
  return null;
}

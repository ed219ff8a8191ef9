// The stored state a JSON request body refers to: a Responses request's
// previous_response_id, its conversation, the ids of reasoning items replayed with
// their encrypted_content, and a batch's input_file_id. Only bodies of the paths that
// can carry them are read (see stored-target.ts), and only when one of the field names
// occurs in the bytes at all: a first turn is looked at with a few memchr-speed
// searches and never parsed.
import type { Collection } from './stored-target.js';

export interface BodyRef {
  readonly collection: Collection;
  readonly id: string;
}

export interface BodyRefs {
  /** Objects with a GET, in the order they are tried: previous response, conversation, input file. */
  readonly objects: readonly BodyRef[];
  /** Ids of the input items that carry encrypted_content (they can only be read where they were made). */
  readonly sealedItems: readonly string[];
  /** Some input item carries encrypted_content. */
  readonly sealed: boolean;
}

const NONE: BodyRefs = Object.freeze({ objects: [], sealedItems: [], sealed: false });

const RESPONSE_KEYS = ['previous_response_id', '"conversation"', 'encrypted_content'].map((k) => Buffer.from(k));
const BATCH_KEY = Buffer.from('input_file_id');

/** The references of a JSON body sent to `collection` (its root, with POST). */
export function bodyRefsOf(collection: Collection, body: Buffer): BodyRefs {
  if (collection === 'responses') {
    if (!RESPONSE_KEYS.some((k) => body.includes(k))) return NONE;
  } else if (collection === 'batches') {
    if (!body.includes(BATCH_KEY)) return NONE;
  } else return NONE;
  let fields: Record<string, unknown>;
  try {
    // The data plane's scan has checked the body is a JSON object, at most 64 levels deep.
    fields = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return NONE;
  }
  const objects: BodyRef[] = [];
  if (typeof fields.previous_response_id === 'string' && fields.previous_response_id !== '') {
    objects.push({ collection: 'responses', id: fields.previous_response_id });
  }
  const conversation = fields.conversation;
  const conversationId =
    typeof conversation === 'string'
      ? conversation
      : typeof conversation === 'object' && conversation !== null
        ? (conversation as { id?: unknown }).id
        : undefined;
  if (typeof conversationId === 'string' && conversationId !== '') {
    objects.push({ collection: 'conversations', id: conversationId });
  }
  if (typeof fields.input_file_id === 'string' && fields.input_file_id !== '') {
    objects.push({ collection: 'files', id: fields.input_file_id });
  }
  const sealedItems: string[] = [];
  let sealed = false;
  if (Array.isArray(fields.input)) {
    for (const item of fields.input as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const { encrypted_content: enc, id } = item as { encrypted_content?: unknown; id?: unknown };
      if (typeof enc !== 'string') continue;
      sealed = true;
      if (typeof id === 'string') sealedItems.push(id);
    }
  }
  if (objects.length === 0 && !sealed) return NONE;
  return { objects, sealedItems, sealed };
}

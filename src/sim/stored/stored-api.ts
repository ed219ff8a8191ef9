// The stored-object APIs of one simulated region, answered as the real service answers
// them: Responses by id (retrieve, delete, cancel, input items), Conversations and
// their items, Files (multipart upload, retrieve, content, delete) and Batches. Ids of
// another region are unknown here (404), its encrypted reasoning cannot be read (400
// invalid_encrypted_content), and a batch cannot read another region's file: what a
// request that lands in the wrong region gets from the real service.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Item, newId, type RegionStore, type ResponseTurn, type StoredResponse } from './region-store.js';
import type { StoredPath } from './paths.js';
import { parseMultipart } from './multipart.js';

/** An error in OpenAI's shape. */
export interface StoredError {
  readonly status: number;
  readonly message: string;
  readonly param: string | null;
  readonly code: string | null;
}

export function isStoredError(x: unknown): x is StoredError {
  return typeof x === 'object' && x !== null && 'status' in x && 'message' in x;
}

export function storedErrorBody(e: StoredError): string {
  return JSON.stringify({ error: { message: e.message, type: 'invalid_request_error', param: e.param, code: e.code } });
}

const notFound = (message: string, param: string | null = null, code: string | null = null): StoredError => ({
  status: 404,
  message,
  param,
  code,
});

/** The conversation a Responses request names: a string, or an object with an id. */
function conversationOf(fields: Record<string, unknown>): string | null {
  const c = fields.conversation;
  if (typeof c === 'string') return c;
  if (typeof c === 'object' && c !== null && typeof (c as { id?: unknown }).id === 'string') {
    return (c as { id: string }).id;
  }
  return null;
}

/** The input as items, each with an id (a string input is one user message). */
function inputItems(input: unknown): Item[] {
  if (typeof input === 'string') {
    return [{ id: newId('msg_'), type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  }
  if (!Array.isArray(input)) return [];
  return input
    .filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
    .map((x) => ({ type: 'message', ...x, id: typeof x.id === 'string' ? x.id : newId('msg_') }));
}

/**
 * A Responses request about to be served here: the state it refers to must be here, as
 * the real service requires. Returns the names its answer will carry, or the error.
 */
export function beginTurn(store: RegionStore, fields: Record<string, unknown>): ResponseTurn | StoredError {
  const previous = typeof fields.previous_response_id === 'string' ? fields.previous_response_id : null;
  if (previous !== null && !store.responses.has(previous)) {
    return notFound(
      `Previous response with id '${previous}' not found.`,
      'previous_response_id',
      'previous_response_not_found',
    );
  }
  const conversation = conversationOf(fields);
  if (conversation !== null && !store.conversations.has(conversation)) {
    return notFound(`Conversation with id '${conversation}' not found.`, 'conversation', 'conversation_not_found');
  }
  if (Array.isArray(fields.input)) {
    for (const item of fields.input as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const enc = (item as { encrypted_content?: unknown }).encrypted_content;
      if (typeof enc === 'string' && !store.sealed.has(enc)) {
        const id = (item as { id?: unknown }).id;
        return {
          status: 400,
          message: `The encrypted content${typeof id === 'string' ? ` for item ${id}` : ''} could not be verified.`,
          param: null,
          code: 'invalid_encrypted_content',
        };
      }
    }
  }
  const include = Array.isArray(fields.include) ? (fields.include as unknown[]) : [];
  const reasoning = include.includes('reasoning.encrypted_content')
    ? { id: newId('rs_'), encrypted: `gAAAA${newId('')}` }
    : null;
  if (reasoning !== null) store.sealed.set(reasoning.encrypted, true);
  return {
    responseId: newId('resp_'),
    messageId: newId('msg_'),
    reasoning,
    previousResponseId: previous,
    conversationId: conversation,
    background: fields.background === true,
    input: inputItems(fields.input),
  };
}

/** The response is made: it is stored here (retrievable while it runs), and its items join its conversation. */
export function recordTurn(store: RegionStore, turn: ResponseTurn, render: () => Record<string, unknown>): void {
  store.responses.set(turn.responseId, { turn, render, cancelled: false });
  if (turn.conversationId === null) return;
  const conversation = store.conversations.get(turn.conversationId);
  if (conversation === undefined) return;
  conversation.items.push(...turn.input);
  const output = render().output;
  if (Array.isArray(output)) conversation.items.push(...(output as Item[]));
}

function list(data: readonly object[]): object {
  const ids = data.map((d) => (d as { id?: string }).id ?? null);
  return { object: 'list', data, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null, has_more: false };
}

type Answer = { readonly status: number; readonly body: string | Buffer; readonly type?: string } | StoredError;

const ok = (body: object): Answer => ({ status: 200, body: JSON.stringify(body) });
const notAllowed = (method: string, path: StoredPath): StoredError => ({
  status: 405,
  message: `${method} is not supported on ${path.collection}${path.id === null ? '' : '/{id}'}${path.rest === '' ? '' : `/${path.rest}`}`,
  param: null,
  code: 'method_not_allowed',
});

/** Reads the body, answers the stored-object request. */
export function handleStored(
  store: RegionStore,
  req: IncomingMessage,
  res: ServerResponse,
  path: StoredPath,
  headers: Readonly<Record<string, string>>,
  nowMs: number,
): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let answer: Answer;
    try {
      answer = storedAnswer(store, req, path, body, Math.floor(nowMs / 1000));
    } catch (err) {
      answer = { status: 400, message: (err as Error).message, param: null, code: 'invalid_request' };
    }
    const bytes = isStoredError(answer) ? storedErrorBody(answer) : answer.body;
    const type = isStoredError(answer) ? 'application/json' : (answer.type ?? 'application/json');
    res.writeHead(answer.status, { 'content-type': type, 'content-length': Buffer.byteLength(bytes), ...headers });
    res.end(bytes);
  });
}

function jsonOf(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function storedAnswer(store: RegionStore, req: IncomingMessage, path: StoredPath, body: Buffer, now: number): Answer {
  const method = req.method ?? 'GET';
  switch (path.collection) {
    case 'responses':
      return responseAnswer(store, method, path);
    case 'conversations':
      return conversationAnswer(store, method, path, body, now);
    case 'files':
      return fileAnswer(store, req, method, path, body, now);
    case 'batches':
      return batchAnswer(store, method, path, body, now);
  }
}

function responseAnswer(store: RegionStore, method: string, path: StoredPath): Answer {
  if (path.id === null) return notAllowed(method, path);
  const stored = store.responses.get(path.id);
  if (stored === undefined) return notFound(`Response with id '${path.id}' not found.`);
  if (path.rest === '' && method === 'GET') return ok(rendered(stored));
  if (path.rest === '' && method === 'DELETE') {
    store.responses.delete(path.id);
    return ok({ id: path.id, object: 'response', deleted: true });
  }
  if (path.rest === 'cancel' && method === 'POST') {
    if (!stored.turn.background) {
      return { status: 400, message: 'Only background responses can be cancelled.', param: null, code: null };
    }
    stored.cancelled = true;
    return ok(rendered(stored));
  }
  if (path.rest === 'input_items' && method === 'GET') return ok(list(stored.turn.input));
  return notAllowed(method, path);
}

function rendered(stored: StoredResponse): Record<string, unknown> {
  const r = stored.render();
  return stored.cancelled ? { ...r, status: 'cancelled' } : r;
}

function conversationAnswer(store: RegionStore, method: string, path: StoredPath, body: Buffer, now: number): Answer {
  if (path.id === null) {
    if (method !== 'POST') return notAllowed(method, path);
    const fields = jsonOf(body);
    const id = newId('conv_');
    const metadata = (fields.metadata ?? {}) as Record<string, unknown>;
    store.conversations.set(id, { id, createdAt: now, metadata, items: inputItems(fields.items ?? []) });
    return ok({ id, object: 'conversation', created_at: now, metadata });
  }
  const conversation = store.conversations.get(path.id);
  if (conversation === undefined) return notFound(`Conversation with id '${path.id}' not found.`);
  const shown = { id: conversation.id, object: 'conversation', created_at: conversation.createdAt };
  if (path.rest === '') {
    if (method === 'GET') return ok({ ...shown, metadata: conversation.metadata });
    if (method === 'POST') {
      conversation.metadata = (jsonOf(body).metadata ?? {}) as Record<string, unknown>;
      return ok({ ...shown, metadata: conversation.metadata });
    }
    if (method === 'DELETE') {
      store.conversations.delete(path.id);
      return ok({ id: path.id, object: 'conversation.deleted', deleted: true });
    }
    return notAllowed(method, path);
  }
  if (path.rest === 'items') {
    if (method === 'GET') return ok(list(conversation.items));
    if (method === 'POST') {
      const added = inputItems(jsonOf(body).items ?? []);
      conversation.items.push(...added);
      return ok(list(added));
    }
    return notAllowed(method, path);
  }
  if (path.rest.startsWith('items/')) {
    const itemId = path.rest.slice('items/'.length);
    const at = conversation.items.findIndex((i) => i.id === itemId);
    if (at === -1) return notFound(`Item with id '${itemId}' not found.`);
    if (method === 'GET') return ok(conversation.items[at] as Item);
    if (method === 'DELETE') {
      conversation.items.splice(at, 1);
      return ok({ ...shown, metadata: conversation.metadata });
    }
  }
  return notAllowed(method, path);
}

function fileObject(f: { id: string; filename: string; purpose: string; createdAt: number; content: Buffer }): object {
  return {
    id: f.id,
    object: 'file',
    bytes: f.content.length,
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
  };
}

function fileAnswer(
  store: RegionStore,
  req: IncomingMessage,
  method: string,
  path: StoredPath,
  body: Buffer,
  now: number,
): Answer {
  if (path.id === null) {
    if (method === 'GET') return ok(list([...store.files.values()].map(fileObject)));
    if (method !== 'POST') return notAllowed(method, path);
    const parts = parseMultipart(req.headers['content-type'], body);
    const file = parts.find((p) => p.name === 'file');
    const purpose = parts.find((p) => p.name === 'purpose')?.content.toString('utf8') ?? '';
    if (file === undefined) {
      return { status: 400, message: "Missing required parameter: 'file'.", param: 'file', code: null };
    }
    const stored = {
      id: newId('file-'),
      filename: file.filename ?? 'upload',
      purpose,
      createdAt: now,
      content: file.content,
    };
    store.files.set(stored.id, stored);
    return ok(fileObject(stored));
  }
  const file = store.files.get(path.id);
  if (file === undefined) return notFound(`No such File object: ${path.id}`, 'id');
  if (path.rest === '' && method === 'GET') return ok(fileObject(file));
  if (path.rest === '' && method === 'DELETE') {
    store.files.delete(path.id);
    return ok({ id: path.id, object: 'file', deleted: true });
  }
  if (path.rest === 'content' && method === 'GET') {
    return { status: 200, body: file.content, type: 'application/octet-stream' };
  }
  return notAllowed(method, path);
}

function batchAnswer(store: RegionStore, method: string, path: StoredPath, body: Buffer, now: number): Answer {
  if (path.id === null) {
    if (method === 'GET') return ok(list([...store.batches.values()]));
    if (method !== 'POST') return notAllowed(method, path);
    const fields = jsonOf(body);
    const fileId = typeof fields.input_file_id === 'string' ? fields.input_file_id : null;
    if (fileId === null) {
      return {
        status: 400,
        message: "Missing required parameter: 'input_file_id'.",
        param: 'input_file_id',
        code: null,
      };
    }
    if (!store.files.has(fileId)) {
      // What a resource answers for a file uploaded to another one: it is not its file.
      return {
        status: 400,
        message: `The file '${fileId}' does not exist or does not belong to this resource.`,
        param: 'input_file_id',
        code: 'invalid_file',
      };
    }
    const batch = {
      id: newId('batch_'),
      object: 'batch',
      endpoint: fields.endpoint ?? '/v1/chat/completions',
      input_file_id: fileId,
      completion_window: fields.completion_window ?? '24h',
      status: 'validating',
      created_at: now,
      output_file_id: null,
      error_file_id: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata: fields.metadata ?? null,
    };
    store.batches.set(batch.id, batch);
    return ok(batch);
  }
  const batch = store.batches.get(path.id);
  if (batch === undefined) return notFound(`No such Batch object: ${path.id}`, 'id');
  if (path.rest === '' && method === 'GET') return ok(batch);
  if (path.rest === 'cancel' && method === 'POST') {
    const cancelled = { ...batch, status: 'cancelling', cancelling_at: now };
    store.batches.set(path.id, cancelled);
    return ok(cancelled);
  }
  return notAllowed(method, path);
}

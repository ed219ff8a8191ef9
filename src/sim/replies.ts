// The bytes a simulated backend sends: OpenAI chat.completion / chat.completion.chunk
// shapes and JSON errors. Kept apart from the timing logic so both stay short.
import type { ServerResponse } from 'node:http';
import type { ResponseTurn } from './stored/region-store.js';

export const SSE_DONE = 'data: [DONE]\n\n';

// A fixed vocabulary keeps answers readable in the demo and costs nothing per request.
const WORDS = ['the', 'quick', 'region', 'answers', 'with', 'simulated', 'tokens', 'now'];

export function tokenText(i: number): string {
  return `${WORDS[i % WORDS.length] ?? 'tok'} `;
}

export function completionText(tokens: number): string {
  let s = '';
  for (let i = 0; i < tokens; i++) s += tokenText(i);
  return s;
}

export interface CompletionFields {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly promptTokens: number;
  readonly tokens: number;
  /** Prompt tokens served from the prompt cache (reported in the usage details). */
  readonly cachedTokens?: number;
  /** A chat stream asked for usage (stream_options.include_usage): a last chunk carries it. */
  readonly includeUsage?: boolean;
  /** The ORCA form the request asked for; the answer's head then carries endpoint-load-metrics. */
  readonly orca?: 'text' | 'json' | null;
  /** Responses API: the names the answer carries and the state it refers to (stored by the region). */
  readonly turn?: ResponseTurn | null;
}

/** chat.completion JSON, padded with spaces in the content to about `minBytes`. */
export function completionBody(f: CompletionFields, minBytes: number | null): string {
  const content = completionText(f.tokens);
  const body = renderCompletion(f, content);
  if (minBytes === null) return body;
  const missing = minBytes - Buffer.byteLength(body);
  // Spaces need no JSON escaping, so the padded body has exactly minBytes.
  return missing > 0 ? renderCompletion(f, content + ' '.repeat(missing)) : body;
}

function renderCompletion(f: CompletionFields, content: string): string {
  return JSON.stringify({
    id: f.id,
    object: 'chat.completion',
    created: f.created,
    model: f.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: chatUsage(f),
  });
}

/** The usage object of chat completions, as OpenAI's service sends it. */
export function chatUsage(f: CompletionFields): object {
  return {
    prompt_tokens: f.promptTokens,
    completion_tokens: f.tokens,
    total_tokens: f.promptTokens + f.tokens,
    prompt_tokens_details: { cached_tokens: f.cachedTokens ?? 0 },
  };
}

/** The last chunk of a stream that asked for usage: no choices, the usage. */
export function usageChunkEvent(f: CompletionFields): string {
  const chunk = {
    id: f.id,
    object: 'chat.completion.chunk',
    created: f.created,
    model: f.model,
    choices: [],
    usage: chatUsage(f),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** One SSE event for token `i`; the first carries the role, the last the finish reason. */
export function chunkEvent(id: string, created: number, model: string, i: number, last: boolean): string {
  const delta = i === 0 ? { role: 'assistant', content: tokenText(i) } : { content: tokenText(i) };
  const chunk = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: last ? 'stop' : null }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  extraHeaders: Record<string, string> | null,
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> | null = null,
): void {
  sendJson(res, status, errorBody(code, message), extraHeaders);
}

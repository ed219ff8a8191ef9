// The Responses API (POST /v1/responses): a `response` object, or its streaming events
// (response.created ... response.output_text.delta ... response.completed), each sent
// as `event: <type>` and `data: <json>` with a growing sequence_number, as OpenAI's
// service does. No [DONE]: the stream ends after response.completed.
import type { ReplyFormat } from './reply-format.js';
import { type CompletionFields, completionText, tokenText } from './replies.js';

// Events before the first delta: created, in_progress, output_item.added, content_part.added.
const EVENTS_BEFORE_TOKENS = 4;

function event(type: string, sequence: number, fields: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...fields })}\n\n`;
}

const itemId = (f: CompletionFields): string => f.turn?.messageId ?? `msg_${f.id}`;

function message(f: CompletionFields, text: string | null): object {
  return {
    id: itemId(f),
    type: 'message',
    status: text === null ? 'in_progress' : 'completed',
    role: 'assistant',
    content: text === null ? [] : [{ type: 'output_text', text, annotations: [] }],
  };
}

function reasoning(f: CompletionFields): object[] {
  const r = f.turn?.reasoning;
  return r === undefined || r === null
    ? []
    : [{ id: r.id, type: 'reasoning', summary: [], encrypted_content: r.encrypted }];
}

/** The response object; exported for the region's store, which answers GET with it. */
export function response(f: CompletionFields, text: string | null): Record<string, unknown> {
  const turn = f.turn;
  return {
    id: turn?.responseId ?? `resp_${f.id}`,
    object: 'response',
    created_at: f.created,
    status: text === null ? 'in_progress' : 'completed',
    model: f.model,
    previous_response_id: turn?.previousResponseId ?? null,
    ...(turn?.conversationId == null ? {} : { conversation: { id: turn.conversationId } }),
    output: text === null ? [] : [...reasoning(f), message(f, text)],
    usage:
      text === null
        ? null
        : {
            input_tokens: f.promptTokens,
            input_tokens_details: { cached_tokens: f.cachedTokens ?? 0 },
            output_tokens: f.tokens,
            total_tokens: f.promptTokens + f.tokens,
          },
  };
}

export const RESPONSES_FORMAT: ReplyFormat = {
  body(f, minBytes) {
    const text = completionText(f.tokens);
    const body = JSON.stringify(response(f, text));
    const missing = minBytes === null ? 0 : minBytes - Buffer.byteLength(body);
    return missing > 0 ? JSON.stringify(response(f, text + ' '.repeat(missing))) : body;
  },
  streamStart(f) {
    const part = { item_id: itemId(f), output_index: 0, content_index: 0 };
    return (
      event('response.created', 0, { response: response(f, null) }) +
      event('response.in_progress', 1, { response: response(f, null) }) +
      event('response.output_item.added', 2, { output_index: 0, item: message(f, null) }) +
      event('response.content_part.added', 3, { ...part, part: { type: 'output_text', text: '', annotations: [] } })
    );
  },
  token(f, i) {
    return event('response.output_text.delta', EVENTS_BEFORE_TOKENS + i, {
      item_id: itemId(f),
      output_index: 0,
      content_index: 0,
      delta: tokenText(i),
    });
  },
  streamEnd(f) {
    const text = completionText(f.tokens);
    const part = { item_id: itemId(f), output_index: 0, content_index: 0 };
    const seq = EVENTS_BEFORE_TOKENS + f.tokens;
    return (
      event('response.output_text.done', seq, { ...part, text }) +
      event('response.content_part.done', seq + 1, { ...part, part: { type: 'output_text', text, annotations: [] } }) +
      event('response.output_item.done', seq + 2, { output_index: 0, item: message(f, text) }) +
      event('response.completed', seq + 3, { response: response(f, text) })
    );
  },
};

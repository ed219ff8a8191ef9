// What an exchange writes, per API: the whole answer, or a stream of events around one
// per token. The exchange owns the timing (time to first token, per-token delay) and
// the capacity slot; a format only renders bytes, so every API shares one latency and
// capacity model.
import { type CompletionFields, SSE_DONE, chunkEvent, completionBody, usageChunkEvent } from './replies.js';

export interface ReplyFormat {
  /** A non-streaming answer, padded to about minBytes when that is set. */
  body(f: CompletionFields, minBytes: number | null): string;
  /** Events sent with the headers, before the first token ('' for none). */
  streamStart(f: CompletionFields): string;
  /** The event of token i (0-based); `last` for the final one. */
  token(f: CompletionFields, i: number, last: boolean): string;
  /** Events after the last token. */
  streamEnd(f: CompletionFields): string;
}

/** Chat completions: chat.completion, or chat.completion.chunk events and [DONE]. */
export const CHAT_FORMAT: ReplyFormat = {
  body: completionBody,
  streamStart: () => '',
  token: (f, i, last) => chunkEvent(f.id, f.created, f.model, i, last),
  streamEnd: (f) => (f.includeUsage === true ? usageChunkEvent(f) + SSE_DONE : SSE_DONE),
};

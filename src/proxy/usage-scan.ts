// The tokens an answer says it used, read from the answer as it is relayed. Every API
// puts `usage` at or near the end: a chat completion, an embedding list and a response
// object end with it (Azure's keys are alphabetical, usage is the last), a chat stream
// that asked for it (stream_options.include_usage) sends it in the last chunk before
// [DONE], and a Responses stream in its last event, response.completed. So the scan
// only keeps references to the chunks that cover the answer's last USAGE_TAIL_BYTES
// (no copy while relaying), and parses once, at the end, the one small `usage` object
// found there. Answers that are neither JSON nor SSE are not scanned at all.
//
// Why the byte pattern `"usage"` cannot match inside a string: a quote inside a JSON
// string is escaped, so text that merely mentions "usage" reads `\"usage\"` on the wire,
// and the closing quote is preceded by a backslash, not by `usage`.

/** Tokens one answer reports (0 for a kind it does not report). */
export interface Usage {
  readonly input: number;
  readonly output: number;
  readonly cached: number;
}

/** How much of an answer's end is kept: a usage object with its details is ~300 bytes. */
export const USAGE_TAIL_BYTES = 8192;
/** A `usage` object larger than this is not one (the scan gives up on it). */
const MAX_USAGE_OBJECT = 2048;
/** How many `"usage"` keys back from the end are tried (a truncated last one, nulls before it). */
const MAX_CANDIDATES = 4;

const USAGE_KEY = Buffer.from('"usage"', 'latin1');
const CONTENT_TYPE = 'content-type';

/** Whether an answer's headers say JSON or an event stream (the only ones with usage). */
export function carriesUsage(rawHeaders: readonly Buffer[]): boolean {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as Buffer;
    if (name.length !== CONTENT_TYPE.length || name.toString('latin1').toLowerCase() !== CONTENT_TYPE) continue;
    const value = (rawHeaders[i + 1] as Buffer).toString('latin1').toLowerCase();
    return value.includes('json') || value.includes('text/event-stream');
  }
  return false;
}

/** The end of one answer, as references to its last chunks. */
export class UsageScan {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  add(chunk: Buffer): void {
    const chunks = this.chunks;
    chunks.push(chunk);
    this.bytes += chunk.length;
    // Drop the oldest chunks while the newer ones still cover the tail.
    let drop = 0;
    while (drop < chunks.length - 1 && this.bytes - (chunks[drop] as Buffer).length >= USAGE_TAIL_BYTES) {
      this.bytes -= (chunks[drop] as Buffer).length;
      drop++;
    }
    if (drop > 0) chunks.splice(0, drop);
  }

  /** The usage the answer reported, or null when its end has none. */
  result(): Usage | null {
    const chunks = this.chunks;
    if (chunks.length === 0) return null;
    const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.bytes);
    return usageIn(whole.length > USAGE_TAIL_BYTES ? whole.subarray(whole.length - USAGE_TAIL_BYTES) : whole);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The index just past the object that starts at `start` (a `{`), or -1 if it does not end in time. */
function objectEnd(buf: Buffer, start: number): number {
  const limit = Math.min(buf.length, start + MAX_USAGE_OBJECT);
  let depth = 0;
  let inString = false;
  for (let i = start; i < limit; i++) {
    const c = buf[i] as number;
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */) depth++;
    else if (c === 0x7d /* } */ && --depth === 0) return i + 1;
  }
  return -1;
}

function count(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.floor(x) : null;
}

/** Chat and embeddings name them prompt/completion, the Responses API input/output. */
function usageOf(o: Record<string, unknown>): Usage | null {
  const input = count(o.prompt_tokens) ?? count(o.input_tokens);
  if (input === null) return null;
  const output = count(o.completion_tokens) ?? count(o.output_tokens) ?? 0;
  const details = (o.prompt_tokens_details ?? o.input_tokens_details) as Record<string, unknown> | null | undefined;
  const cached = details !== null && typeof details === 'object' ? (count(details.cached_tokens) ?? 0) : 0;
  return { input, output, cached };
}

/** The last readable `usage` object in the bytes (an answer's end), or null. */
export function usageIn(buf: Buffer): Usage | null {
  let at = buf.lastIndexOf(USAGE_KEY);
  for (let tries = 0; at >= 0 && tries < MAX_CANDIDATES; tries++) {
    let i = at + USAGE_KEY.length;
    while (i < buf.length && isSpace(buf[i] as number)) i++;
    if (buf[i] === 0x3a /* : */) {
      i++;
      while (i < buf.length && isSpace(buf[i] as number)) i++;
      // `"usage": null` (a chunk before the last, a response in progress): nothing reported there.
      if (buf[i] !== 0x7b) return null;
      const end = objectEnd(buf, i);
      if (end > 0) {
        try {
          const parsed = JSON.parse(buf.toString('utf8', i, end)) as Record<string, unknown>;
          return usageOf(parsed);
        } catch {
          return null;
        }
      }
    }
    at = at === 0 ? -1 : buf.lastIndexOf(USAGE_KEY, at - 1);
  }
  return null;
}

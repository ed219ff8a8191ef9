// A request's cost in tokens as Azure OpenAI charges it on arrival: the prompt's tokens
// plus the most it may answer (max_tokens, max_completion_tokens or max_output_tokens,
// times n or best_of), or a configured default when the request sets no maximum.
//
// Prompt tokens are estimated, not counted: a tokenizer costs ~1 µs per token and a
// vocabulary of several MB per model family, while a byte count costs one table load
// per byte. The text a prompt carries (string values under messages, input,
// instructions, prompt, and the tool definitions) is counted in two classes, ASCII
// bytes and other UTF-8 bytes, each with its own bytes-per-token ratio calibrated
// against o200k_base (the GPT-4o / GPT-5 tokenizer) on real-ish prompts; the measured
// error is in docs/telemetry.md ("Units and quotas"), and a test keeps it there.
//
// The scan is a byte-at-a-time automaton like json-model-scan.ts: no JSON.parse, no
// strings, no objects, fed chunk by chunk (ChunkSink) or at once (estimateTokens). It
// trusts the body to be valid JSON (the model scan has checked it) and never throws;
// on a body it cannot follow its count is simply rougher.
//
// What it does not see: an image or an audio clip is charged by its size in pixels or
// seconds, which the bytes of its URL or base64 say nothing of; each one counts as
// MEDIA_TOKENS (a 1024 x 1024 image at high detail: 85 + 4 x 170).
import type { ChunkSink } from './read-body.js';

/** The API a request calls, as far as its charge goes: embeddings answer no tokens. */
export type TokenApi = 'chat' | 'responses' | 'completions' | 'embeddings' | 'other';

export interface TokenEstimateSettings {
  /** ASCII bytes of prompt text per token. */
  readonly asciiBytesPerToken: number;
  /** Non-ASCII UTF-8 bytes of prompt text per token. */
  readonly otherBytesPerToken: number;
  /** Output tokens charged when a request sets no maximum (not for embeddings). */
  readonly defaultMaxOutputTokens: number;
}

// Calibrated on the corpus of test/proxy/token-estimate-calibration.test.ts against
// o200k_base; see docs/telemetry.md for the measured error.
export const DEFAULT_ASCII_BYTES_PER_TOKEN = 3.8;
export const DEFAULT_OTHER_BYTES_PER_TOKEN = 4;
/** The chat format's overhead: tokens around each message, and the reply's priming. */
export const TOKENS_PER_MESSAGE = 3;
export const CHAT_PRIMING_TOKENS = 3;
/** An image or audio part, whatever its bytes. */
export const MEDIA_TOKENS = 765;

export const DEFAULT_TOKEN_SETTINGS: TokenEstimateSettings = Object.freeze({
  asciiBytesPerToken: DEFAULT_ASCII_BYTES_PER_TOKEN,
  otherBytesPerToken: DEFAULT_OTHER_BYTES_PER_TOKEN,
  defaultMaxOutputTokens: 4096,
});

/** The estimate, in tokens. */
export interface TokenEstimate {
  readonly prompt: number;
  /** The output the service reserves: the request's maximum x choices, or the default. */
  readonly output: number;
  /** prompt + output: what a tokens-per-minute quota is charged on arrival. */
  readonly total: number;
}

// What a top-level key's value is, as bits.
const F_OTHER = 0;
const F_TEXT = 1; // its strings are prompt text (but a part's type and its media)
const F_ITEMS = 2; // each object in it is a message (the chat format's overhead)
const F_TOKEN_IDS = 4; // its numbers are token ids
const F_TOOLS = 8; // its keys and strings are prompt text
const F_MAX = 16; // the most the answer may take
const F_CHOICES = 32; // how many answers

// What a nested key is (inside a text field).
const K_PLAIN = 0;
const K_SKIP = 1; // type: a part's kind, not text the model reads
const K_MEDIA = 2; // image_url, url, file_data, data: charged as MEDIA_TOKENS

const TOP_KEYS: ReadonlyArray<readonly [string, number]> = [
  ['messages', F_TEXT | F_ITEMS],
  ['input', F_TEXT | F_ITEMS | F_TOKEN_IDS],
  ['instructions', F_TEXT],
  ['prompt', F_TEXT | F_TOKEN_IDS],
  ['tools', F_TOOLS],
  ['functions', F_TOOLS],
  ['max_tokens', F_MAX],
  ['max_completion_tokens', F_MAX],
  ['max_output_tokens', F_MAX],
  ['n', F_CHOICES],
  ['best_of', F_CHOICES],
];
const NESTED_KEYS: ReadonlyArray<readonly [string, number]> = [
  ['type', K_SKIP],
  ['image_url', K_MEDIA],
  ['url', K_MEDIA],
  ['file_data', K_MEDIA],
  ['data', K_MEDIA],
];
const KEY_BYTES = 24; // longer than every key above

const encode = (table: ReadonlyArray<readonly [string, number]>) =>
  table.map(([k, v]) => [Uint8Array.from(Buffer.from(k, 'latin1')), v] as const);
const TOP = encode(TOP_KEYS);
const NESTED = encode(NESTED_KEYS);

// Container stack: one byte per level, object or array; deeper than this is not followed.
const MAX_DEPTH = 64;
const OBJ = 1;
const ARR = 2;

// Automaton states.
const S_VALUE = 0; // a value (or a key) may start
const S_STRING = 1;
const S_ESCAPE = 2;
const S_UNICODE = 3;
const S_NUMBER = 4;

export class TokenEstimator implements ChunkSink {
  private readonly stack = new Uint8Array(MAX_DEPTH + 1);
  private readonly key = new Uint8Array(KEY_BYTES);
  private depth = 0;
  private state = S_VALUE;
  /** In an object, a key comes next (after "{" or ","). */
  private expectKey = false;
  private stringIsKey = false;
  private keyLen = 0;
  private unicodeLeft = 0;
  private field = F_OTHER;
  private nested = K_PLAIN;
  private number = 0;
  private numberOk = true;
  private numberFrac = false;
  // What is counted.
  private ascii = 0;
  private other = 0;
  private messages = 0;
  private media = 0;
  private numbers = 0;
  private maxOutput = -1;
  private choices = 1;

  constructor(private readonly settings: TokenEstimateSettings = DEFAULT_TOKEN_SETTINGS) {}

  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      switch (this.state) {
        case S_STRING:
          if (c === 0x22) this.endString();
          else if (c === 0x5c) this.state = S_ESCAPE;
          else this.stringByte(c);
          break;
        case S_ESCAPE:
          if (c === 0x75) {
            this.state = S_UNICODE;
            this.unicodeLeft = 4;
          } else {
            this.state = S_STRING;
            this.stringByte(0x20); // an escaped character is one byte of text
          }
          break;
        case S_UNICODE:
          if (--this.unicodeLeft === 0) {
            this.state = S_STRING;
            // A \uXXXX escape is usually a non-ASCII character: two bytes of text.
            this.stringByte(0x80);
            this.stringByte(0x80);
          }
          break;
        case S_NUMBER:
          if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) {
            if (c >= 0x30 && c <= 0x39) {
              if (!this.numberFrac) this.number = this.number * 10 + (c - 0x30);
            } else if (c === 0x2e) this.numberFrac = true;
            else this.numberOk = false;
            break;
          }
          this.endNumber();
          this.structural(c);
          break;
        default:
          this.structural(c);
      }
    }
  }

  /** The estimate for everything fed so far. */
  finish(api: TokenApi): TokenEstimate {
    if (this.state === S_NUMBER) this.endNumber();
    const s = this.settings;
    const text = Math.ceil(this.ascii / s.asciiBytesPerToken + this.other / s.otherBytesPerToken);
    const chat = this.messages > 0 ? this.messages * TOKENS_PER_MESSAGE + CHAT_PRIMING_TOKENS : 0;
    const prompt = text + chat + this.media * MEDIA_TOKENS + this.numbers;
    const output =
      api === 'embeddings' ? 0 : (this.maxOutput >= 0 ? this.maxOutput : s.defaultMaxOutputTokens) * this.choices;
    return { prompt, output, total: prompt + output };
  }

  private structural(c: number): void {
    switch (c) {
      case 0x22: // "
        this.state = S_STRING;
        this.stringIsKey = this.expectKey;
        this.keyLen = 0;
        return;
      case 0x7b: // {
        this.open(OBJ);
        this.expectKey = true;
        return;
      case 0x5b: // [
        this.open(ARR);
        this.expectKey = false;
        return;
      case 0x7d: // }
      case 0x5d: // ]
        this.close();
        return;
      case 0x2c: // ,
        this.expectKey = this.depth > 0 && this.stack[this.depth] === OBJ;
        if (this.depth <= 2) this.nested = K_PLAIN;
        return;
      case 0x3a: // :
        this.expectKey = false;
        return;
      default:
        if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
          this.state = S_NUMBER;
          this.number = c === 0x2d ? 0 : c - 0x30;
          this.numberOk = c !== 0x2d;
          this.numberFrac = false;
        }
    }
  }

  private open(kind: number): void {
    // An object in the root's messages (or input) array is a message.
    if (this.depth === 2 && kind === OBJ && (this.field & F_ITEMS) !== 0 && this.stack[2] === ARR) this.messages++;
    if (this.depth < MAX_DEPTH) this.stack[++this.depth] = kind;
    else this.depth++;
  }

  private close(): void {
    if (this.depth > 0) this.depth--;
    if (this.depth <= 1) this.nested = K_PLAIN;
    this.expectKey = false;
  }

  private stringByte(c: number): void {
    if (this.stringIsKey) {
      if (this.keyLen < KEY_BYTES) this.key[this.keyLen] = c;
      this.keyLen++;
      if (this.field === F_TOOLS && this.depth > 1) this.countText(c);
      return;
    }
    const f = this.field;
    if (f === F_TOOLS || ((f & F_TEXT) !== 0 && this.nested === K_PLAIN)) this.countText(c);
  }

  private countText(c: number): void {
    if (c < 0x80) this.ascii++;
    else this.other++;
  }

  private endString(): void {
    this.state = S_VALUE;
    if (this.stringIsKey) {
      if (this.depth === 1) this.field = lookup(TOP, this.key, this.keyLen, F_OTHER);
      else if (this.field !== F_OTHER) this.nested = lookup(NESTED, this.key, this.keyLen, K_PLAIN);
      return;
    }
    if (this.depth > 1 && this.nested === K_MEDIA && (this.field & F_TEXT) !== 0) this.media++;
    if (this.depth > 1) this.nested = K_PLAIN;
  }

  private endNumber(): void {
    this.state = S_VALUE;
    if (this.depth === 1 && this.numberOk && !this.numberFrac) {
      if (this.field === F_MAX) this.maxOutput = Math.max(this.maxOutput, this.number);
      else if (this.field === F_CHOICES && this.number >= 1) this.choices = Math.max(this.choices, this.number);
    } else if (this.depth > 1 && (this.field & F_TOKEN_IDS) !== 0) {
      // Prompts given as token ids (completions, embeddings): one token each.
      this.numbers++;
    }
  }
}

function lookup(
  table: ReadonlyArray<readonly [Uint8Array, number]>,
  key: Uint8Array,
  len: number,
  otherwise: number,
): number {
  if (len > KEY_BYTES) return otherwise;
  outer: for (const [name, value] of table) {
    if (name.length !== len) continue;
    for (let i = 0; i < len; i++) if (name[i] !== key[i]) continue outer;
    return value;
  }
  return otherwise;
}

/** The estimate of a whole body at once. */
export function estimateTokens(
  body: Uint8Array,
  api: TokenApi,
  settings: TokenEstimateSettings = DEFAULT_TOKEN_SETTINGS,
): TokenEstimate {
  const e = new TokenEstimator(settings);
  e.feed(body);
  return e.finish(api);
}

/** The API a request path calls (OpenAI's /v1/... and Azure's /openai/deployments/{name}/...). */
export function tokenApiOf(path: string): TokenApi {
  const q = path.indexOf('?');
  const p = q === -1 ? path : path.slice(0, q);
  if (p.endsWith('/chat/completions')) return 'chat';
  if (p.endsWith('/embeddings')) return 'embeddings';
  if (p.endsWith('/responses')) return 'responses';
  if (p.endsWith('/completions')) return 'completions';
  return 'other';
}

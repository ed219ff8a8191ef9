// The embeddings API (POST /v1/embeddings): one vector per input, as floats or, when
// the request asks for encoding_format "base64" (the official SDKs' default), as the
// base64 of little-endian float32s. Vectors are deterministic (the same for every
// input), unit length, `dimensions` long (default DEFAULT_DIMENSIONS).
import type { CompletionFields } from './replies.js';
import type { ReplyFormat } from './reply-format.js';

export const DEFAULT_DIMENSIONS = 8;

export interface EmbeddingsRequest {
  readonly inputs: number;
  readonly dimensions: number;
  readonly base64: boolean;
}

/** What an embeddings body asks for, or a message saying why it is not one. */
export function embeddingsRequestOf(body: Record<string, unknown>): EmbeddingsRequest | string {
  const input = body.input;
  let inputs: number;
  if (typeof input === 'string') inputs = 1;
  else if (Array.isArray(input) && input.length > 0) inputs = typeof input[0] === 'number' ? 1 : input.length;
  else return 'request body needs "input": a string, or a non-empty array of strings or token arrays';
  const dims = body.dimensions;
  if (dims !== undefined && !(typeof dims === 'number' && Number.isInteger(dims) && dims >= 1 && dims <= 4096)) {
    return '"dimensions" must be an integer from 1 to 4096';
  }
  const encoding = body.encoding_format;
  if (encoding !== undefined && encoding !== 'float' && encoding !== 'base64') {
    return '"encoding_format" must be "float" or "base64"';
  }
  return { inputs, dimensions: (dims as number | undefined) ?? DEFAULT_DIMENSIONS, base64: encoding === 'base64' };
}

function vector(dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  const norm = Math.sqrt(dimensions);
  for (let i = 0; i < dimensions; i++) v[i] = (i % 2 === 0 ? 1 : -1) / norm;
  return v;
}

/** The format of one embeddings request (its shape comes from the request). */
export function embeddingsFormat(request: EmbeddingsRequest): ReplyFormat {
  const v = vector(request.dimensions);
  const embedding = request.base64
    ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
    : Array.from(v);
  return {
    body(f: CompletionFields) {
      return JSON.stringify({
        object: 'list',
        data: Array.from({ length: request.inputs }, (_, index) => ({ object: 'embedding', index, embedding })),
        model: f.model,
        usage: { prompt_tokens: f.promptTokens, total_tokens: f.promptTokens },
      });
    },
    // Embeddings do not stream; the backend never asks for these.
    streamStart: () => '',
    token: () => '',
    streamEnd: () => '',
  };
}

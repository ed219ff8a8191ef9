// Reads a response body up to a byte limit, counting bytes as they arrive: a chunked
// or endless body is cut at the limit, not after it has been held whole or read until
// a timeout. A declared Content-Length is only a hint; the count is what decides.
import type { Readable } from 'node:stream';

export type LimitedText = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly read: number };

export async function readLimitedText(body: Readable, limit: number): Promise<LimitedText> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early (return or throw) destroys the stream, which closes the
  // connection instead of draining the rest of an oversized body.
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) return { ok: false, read: size };
    chunks.push(buf);
  }
  return { ok: true, text: Buffer.concat(chunks, size).toString('utf8') };
}

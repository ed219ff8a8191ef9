// A 429/5xx answer held back while another region may still be asked. Bounded: an
// answer larger than MAX_HELD_BODY_BYTES is relayed instead (see ProxyCall), so an
// endless error body can neither fill memory nor keep the client waiting.
import { MAX_HELD_BODY_BYTES } from './retry-policy.js';

export class HeldAnswer {
  readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    readonly status: number,
    /** The upstream's raw headers, as undici hands them over. */
    readonly rawHeaders: readonly Buffer[],
  ) {}

  /** Keeps the chunk; false (and nothing kept) when it would pass the limit. */
  add(chunk: Buffer): boolean {
    if (this.bytes + chunk.length > MAX_HELD_BODY_BYTES) return false;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    return true;
  }
}

// Which failed attempts may be sent again. Only what never reached the client: a
// connection that failed before any response, or a 429/502/503/504 whose answer the
// router held back. Everything else is the upstream's final word.

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Held-back answers larger than this are passed on rather than buffered. */
export const MAX_HELD_BODY_BYTES = 64 * 1024;

/** Retry-After (seconds or HTTP date) or retry-after-ms, from undici's raw headers. */
export function retryAfterMsOf(raw: readonly Buffer[], nowMs: number): number | null {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    if (name.length !== 11 && name.length !== 14) continue;
    const lower = name.toString('latin1').toLowerCase();
    const value = (raw[i + 1] as Buffer).toString('latin1').trim();
    if (lower === 'retry-after-ms') {
      const ms = Number(value);
      if (value !== '' && Number.isFinite(ms) && ms >= 0) return ms;
    } else if (lower === 'retry-after') {
      const s = Number(value);
      if (value !== '' && Number.isFinite(s) && s >= 0) return s * 1000;
      const date = Date.parse(value);
      if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
    }
  }
  return null;
}

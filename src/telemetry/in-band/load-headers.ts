// Load headers on a backend's answer, read when its headers arrive: one pass over
// undici's raw header names, comparing lengths first, so an answer without any of them
// costs a loop and nothing else (no string, no object). When there is one, its numbers
// go into the (model, region)'s slot; everything else waits for the next re-plan.
//
//   x-ratelimit-limit-requests / x-ratelimit-remaining-requests    (Azure OpenAI, OpenAI)
//   x-ratelimit-limit-tokens   / x-ratelimit-remaining-tokens
//       each pair gives a used fraction, 1 - remaining / limit; the larger one counts
//       (the nearer limit binds), and the requests limit (else the tokens limit) is a
//       capacity. A remaining count without its limit says nothing, unless it is 0:
//       then the region is full whatever its limit.
//   endpoint-load-metrics                                           (ORCA: vLLM, Triton)
//       TEXT and JSON forms, see orca.ts.
//
// The utilisation recorded is the larger of the two kinds when both are present. A
// load header that cannot be read (a negative or absent number, "-1" for "no limit",
// an unknown format) is counted and otherwise ignored; it never throws.
import { headerName, nameIs, readNumber } from './header-bytes.js';
import { orcaUtilisation } from './orca.js';
import type { InBandSlot } from './slot.js';

const ORCA = headerName('endpoint-load-metrics'); // 21 bytes
const LIMIT_TOKENS = headerName('x-ratelimit-limit-tokens'); // 24
const LIMIT_REQUESTS = headerName('x-ratelimit-limit-requests'); // 26
const REMAINING_TOKENS = headerName('x-ratelimit-remaining-tokens'); // 28
const REMAINING_REQUESTS = headerName('x-ratelimit-remaining-requests'); // 30

/** The request header that asks vLLM and Triton for ORCA's TEXT form on the answer. */
export const ORCA_FORMAT_HEADER = 'endpoint-load-metrics-format';
export const ORCA_FORMAT_TEXT = 'text';

/** Used fraction of a limit in [0, 1], or -1 when the pair says nothing. */
function usedFraction(limit: number, remaining: number): number {
  if (remaining < 0) return -1;
  if (limit > 0) {
    const used = 1 - remaining / limit;
    return used < 0 ? 0 : used > 1 ? 1 : used;
  }
  return remaining === 0 ? 1 : -1;
}

function numberAt(raw: readonly Buffer[], at: number): number {
  return at < 0 ? -1 : readNumber(raw[at] as Buffer);
}

/** Reads an answer's load headers into `slot`. */
export function readLoadHeaders(raw: readonly Buffer[], slot: InBandSlot, nowMs: number): void {
  let orca = -1;
  let limitRequests = -1;
  let remainingRequests = -1;
  let limitTokens = -1;
  let remainingTokens = -1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    switch (name.length) {
      case 21:
        if (nameIs(name, ORCA)) orca = i + 1;
        break;
      case 24:
        if (nameIs(name, LIMIT_TOKENS)) limitTokens = i + 1;
        break;
      case 26:
        if (nameIs(name, LIMIT_REQUESTS)) limitRequests = i + 1;
        break;
      case 28:
        if (nameIs(name, REMAINING_TOKENS)) remainingTokens = i + 1;
        break;
      case 30:
        if (nameIs(name, REMAINING_REQUESTS)) remainingRequests = i + 1;
        break;
    }
  }
  if (orca < 0 && limitRequests < 0 && remainingRequests < 0 && limitTokens < 0 && remainingTokens < 0) return;

  const reqLimit = numberAt(raw, limitRequests);
  const tokLimit = numberAt(raw, limitTokens);
  const requests = usedFraction(reqLimit, numberAt(raw, remainingRequests));
  const tokens = usedFraction(tokLimit, numberAt(raw, remainingTokens));
  const fromOrca = orca < 0 ? -1 : orcaUtilisation(raw[orca] as Buffer);
  const utilisation = Math.max(requests, tokens, fromOrca);
  if (utilisation < 0) {
    slot.unreadable++;
    return;
  }
  slot.atMs = nowMs;
  slot.utilisation = utilisation;
  slot.capacity = requests >= 0 && reqLimit > 0 ? reqLimit : tokens >= 0 && tokLimit > 0 ? tokLimit : 0;
  slot.read++;
}

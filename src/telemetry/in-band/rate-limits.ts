// The four rate-limit headers of an answer (Azure OpenAI, OpenAI), as numbers, for the
// quota books (resilience/quota-windows.ts): what the deployment's per-minute limits
// are and how much of them is left.
//
//   x-ratelimit-limit-requests / x-ratelimit-remaining-requests
//   x-ratelimit-limit-tokens   / x-ratelimit-remaining-tokens
//
// One pass over undici's raw header names, lengths compared first; the numbers go into
// an object the caller owns (the attempt), so an answer costs no allocation. -1 stands
// for "not sent" or "not a number" ("-1" too, which some services send for no limit).
import { headerName, nameIs, readNumber } from './header-bytes.js';

export interface RateLimitReading {
  limitRequests: number;
  remainingRequests: number;
  limitTokens: number;
  remainingTokens: number;
}

const LIMIT_TOKENS = headerName('x-ratelimit-limit-tokens'); // 24
const LIMIT_REQUESTS = headerName('x-ratelimit-limit-requests'); // 26
const REMAINING_TOKENS = headerName('x-ratelimit-remaining-tokens'); // 28
const REMAINING_REQUESTS = headerName('x-ratelimit-remaining-requests'); // 30

/** Fills `out` from the answer's raw headers (name, value, ...); returns whether any was sent. */
export function readRateLimits(raw: readonly Buffer[], out: RateLimitReading): boolean {
  out.limitRequests = -1;
  out.remainingRequests = -1;
  out.limitTokens = -1;
  out.remainingTokens = -1;
  let any = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    const len = name.length;
    if (len !== 24 && len !== 26 && len !== 28 && len !== 30) continue;
    const value = raw[i + 1] as Buffer;
    if (len === 24 && nameIs(name, LIMIT_TOKENS)) out.limitTokens = readNumber(value);
    else if (len === 26 && nameIs(name, LIMIT_REQUESTS)) out.limitRequests = readNumber(value);
    else if (len === 28 && nameIs(name, REMAINING_TOKENS)) out.remainingTokens = readNumber(value);
    else if (len === 30 && nameIs(name, REMAINING_REQUESTS)) out.remainingRequests = readNumber(value);
    else continue;
    any = true;
  }
  return any;
}

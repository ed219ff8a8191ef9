// Header rewriting between client and upstream: hop-by-hop headers (RFC 9110 7.6.1)
// stay on their own connection; everything else passes through untouched and in order.
import { ORCA_FORMAT_HEADER, ORCA_FORMAT_TEXT } from '../telemetry/in-band/load-headers.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The router's own request headers (priority, wait, deployment) and the Gateway API
 * Inference Extension's (objective, fairness key): read by the router, not forwarded.
 */
function isRouterHeader(lower: string): boolean {
  return (
    lower.charCodeAt(0) === 120 /* x */ &&
    (lower.startsWith('x-switchyard-') || lower.startsWith('x-gateway-inference-'))
  );
}

/** Names a Connection header lists as hop-by-hop beyond the standard ones. */
function connectionTokens(value: string): Set<string> | null {
  // The common cases, without splitting a string per request.
  if (value.length === 10 || value.length === 5) {
    const lower = value.toLowerCase();
    if (lower === 'keep-alive' || lower === 'close') return null;
  }
  let extra: Set<string> | null = null;
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive') continue;
    (extra ??= new Set()).add(t);
  }
  return extra;
}

/**
 * Upstream request headers from the client's raw headers: drops hop-by-hop ones, the
 * router's own (x-switchyard-*, x-gateway-inference-*), Host (undici sets the
 * backend's), Content-Length (set from the buffered body), Expect
 * (the router has already said 100 Continue and holds the whole body; undici refuses
 * to send the header anyway), and appends the client address to X-Forwarded-For.
 * askLoadMetrics (telemetry.inBand): ask for ORCA's TEXT form instead of whatever the
 * client asked for, since the router reads the answer's load header.
 */
export function upstreamRequestHeaders(
  raw: readonly string[],
  clientIp: string,
  bodyLength: number | null,
  askLoadMetrics = false,
): string[] {
  let extra: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).length === 10 && (raw[i] as string).toLowerCase() === 'connection') {
      extra = connectionTokens(raw[i + 1] as string);
    }
  }
  const out: string[] = [];
  let forwardedFor: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'host' || lower === 'content-length' || lower === 'expect') continue;
    // The router's own request header (which deployment a request naming none is for).
    if (lower === 'x-switchyard-deployment') continue;
    if (extra?.has(lower)) continue;
    if (askLoadMetrics && lower === ORCA_FORMAT_HEADER) continue;
    if (isRouterHeader(lower)) continue;
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === null ? (raw[i + 1] as string) : `${forwardedFor}, ${raw[i + 1] as string}`;
      continue;
    }
    out.push(name, raw[i + 1] as string);
  }
  out.push('x-forwarded-for', forwardedFor === null ? clientIp : `${forwardedFor}, ${clientIp}`);
  if (askLoadMetrics) out.push(ORCA_FORMAT_HEADER, ORCA_FORMAT_TEXT);
  if (bodyLength !== null) out.push('content-length', String(bodyLength));
  return out;
}

/**
 * Client response headers from the upstream's raw headers (Buffers, as undici hands
 * them over), in Node's flat [name, value, ...] form, plus the serving region.
 */
export function clientResponseHeaders(raw: readonly Buffer[], region: string): string[] {
  const out: string[] = [];
  let extra: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      extra = connectionTokens((raw[i + 1] as Buffer).toString('latin1'));
      continue;
    }
    if (HOP_BY_HOP.has(lower) || lower === 'x-switchyard-region') continue;
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  if (extra !== null) {
    for (let i = out.length - 2; i >= 0; i -= 2) {
      if (extra.has((out[i] as string).toLowerCase())) out.splice(i, 2);
    }
  }
  out.push('x-switchyard-region', region);
  return out;
}

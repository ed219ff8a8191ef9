// ORCA's endpoint-load-metrics header, the TEXT and JSON forms (the binary form comes
// in a header of another name and is not read):
//
//   endpoint-load-metrics: TEXT cpu_utilization=0.3, named_metrics.kv_cache_utilization=0.4
//   endpoint-load-metrics: JSON {"named_metrics": {"kv_cache_usage_perc": 0.4}}
//
// One utilisation in [0, 1] comes out, from the first field present of:
//   application_utilization               ORCA's field for the server's own utilisation
//   named_metrics.kv_cache_utilization    Triton with TensorRT-LLM
//   named_metrics.kv_cache_usage_perc     vLLM
//   cpu_utilization                       a generic ORCA server
// and a queue (vLLM's named_metrics.num_requests_waiting > 0) counts as full: requests
// are waiting for room. Values above 1 count as 1. Anything else is ignored.
import { headerName, readNumber } from './header-bytes.js';

const APPLICATION = 0;
const KV_TRITON = 1;
const KV_VLLM = 2;
const CPU = 3;
const WAITING = 4;

// Index = the constants above.
const TEXT_KEYS: readonly Uint8Array[] = [
  headerName('application_utilization'),
  headerName('named_metrics.kv_cache_utilization'),
  headerName('named_metrics.kv_cache_usage_perc'),
  headerName('cpu_utilization'),
  headerName('named_metrics.num_requests_waiting'),
];

const TEXT_PREFIX = headerName('text ');
const JSON_PREFIX = headerName('json ');
// A load report has no reason to be longer; a longer JSON value is not parsed.
const MAX_JSON_BYTES = 8 * 1024;

function startsWithWord(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (((buf[i] as number) | (i < 4 ? 0x20 : 0)) !== prefix[i]) return false;
  }
  return true;
}

function keyIs(buf: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (buf[start + i] !== key[i]) return false;
  return true;
}

/** The utilisation an ORCA header gives, in [0, 1], or -1 when it gives none that can be read. */
export function orcaUtilisation(value: Buffer): number {
  if (startsWithWord(value, TEXT_PREFIX)) return fromText(value);
  if (startsWithWord(value, JSON_PREFIX)) return fromJson(value);
  return -1;
}

// The order of preference among the utilisations.
const PREFERENCE = [APPLICATION, KV_TRITON, KV_VLLM, CPU] as const;

function pick(found: readonly number[]): number {
  if ((found[WAITING] as number) > 0) return 1;
  for (const field of PREFERENCE) {
    const v = found[field] as number;
    if (v >= 0) return v > 1 ? 1 : v;
  }
  return -1;
}

/** `key=value` pairs separated by commas, spaces around either allowed. */
function fromText(buf: Buffer): number {
  // Five numbers per ORCA header: small enough that this array is all it costs.
  const found = [-1, -1, -1, -1, -1];
  let i = TEXT_PREFIX.length;
  const n = buf.length;
  while (i < n) {
    let end = i;
    while (end < n && buf[end] !== 0x2c) end++;
    let eq = i;
    while (eq < end && buf[eq] !== 0x3d) eq++;
    if (eq < end) {
      let ks = i;
      let ke = eq;
      while (ks < ke && (buf[ks] === 0x20 || buf[ks] === 0x09)) ks++;
      while (ke > ks && (buf[ke - 1] === 0x20 || buf[ke - 1] === 0x09)) ke--;
      for (let k = 0; k < TEXT_KEYS.length; k++) {
        if (keyIs(buf, ks, ke, TEXT_KEYS[k] as Uint8Array)) {
          found[k] = readNumber(buf, eq + 1, end);
          break;
        }
      }
    }
    i = end + 1;
  }
  return pick(found);
}

function numberIn(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : -1;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fromJson(buf: Buffer): number {
  if (buf.length > MAX_JSON_BYTES) return -1;
  let body: unknown;
  try {
    body = JSON.parse(buf.toString('latin1', JSON_PREFIX.length));
  } catch {
    return -1;
  }
  if (!isRecord(body)) return -1;
  const named = isRecord(body.named_metrics) ? body.named_metrics : {};
  return pick([
    numberIn(body, 'application_utilization'),
    numberIn(named, 'kv_cache_utilization'),
    numberIn(named, 'kv_cache_usage_perc'),
    numberIn(body, 'cpu_utilization'),
    numberIn(named, 'num_requests_waiting'),
  ]);
}

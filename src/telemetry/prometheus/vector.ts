// The answer of a Prometheus instant query (GET /api/v1/query), read as the router
// needs it: one number per (region, model), told apart by two labels. Like the JSON
// report, a whole answer that is not what it should be fails the poll (malformed, or
// http_status with Prometheus's own error), and a single bad sample is dropped and
// counted without spoiling the rest.
import { PollFailure } from '../http-get.js';
import type { Rejection } from '../poll-loop.js';

export interface VectorLabels {
  readonly regionLabel: string;
  readonly modelLabel: string;
}

export interface Sample {
  readonly region: string;
  readonly model: string;
  readonly value: number;
  /** What Prometheus returns as the sample's time: for an instant query, the evaluation time. */
  readonly atMs: number;
}

export interface ParsedVector {
  readonly samples: Sample[];
  readonly rejected: Rejection[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// A query that exceeds this in its error text is cut: it ends up in logs and /capacity.
const MAX_ERROR_CHARS = 300;

function cut(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS)}...`;
}

/**
 * `what` names the query ("capacityQuery", "inUseQuery") in messages; `field` is the
 * report field its samples become, the reason a bad value is counted under.
 * receivedAtMs bounds `at`: a time in the future counts as now.
 */
export function parseVectorAnswer(
  status: number,
  text: string,
  what: string,
  field: 'capacity' | 'inUse',
  labels: VectorLabels,
  receivedAtMs: number,
): ParsedVector {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    if (status < 200 || status >= 300) throw new PollFailure('http_status', `prometheus answered HTTP ${status}`);
    throw new PollFailure('malformed', `${what}: the answer is not JSON`);
  }
  if (!isRecord(body)) throw new PollFailure('malformed', `${what}: the answer is not a JSON object`);
  if (body.status !== 'success') {
    const detail = `${String(body.errorType ?? 'error')}: ${cut(String(body.error ?? 'no error message'))}`;
    if (status < 200 || status >= 300) {
      throw new PollFailure('http_status', `prometheus answered HTTP ${status} to ${what}: ${detail}`);
    }
    throw new PollFailure('malformed', `${what}: status ${JSON.stringify(body.status)}: ${detail}`);
  }
  const data = body.data;
  if (!isRecord(data) || !Array.isArray(data.result)) {
    throw new PollFailure('malformed', `${what}: the answer has no data.result list`);
  }
  if (data.resultType !== 'vector') {
    throw new PollFailure(
      'malformed',
      `${what} answered a ${String(data.resultType)}; it must answer an instant vector, one sample per region and model`,
    );
  }
  const samples: Sample[] = [];
  const rejected: Rejection[] = [];
  data.result.forEach((entry: unknown, index: number) => {
    const reject = (reason: string, detail: string): void => {
      rejected.push({ index, reason, detail: `${what}: ${detail}` });
    };
    if (!isRecord(entry) || !isRecord(entry.metric) || !Array.isArray(entry.value)) {
      reject('not-an-object', 'a sample is not {metric, value}');
      return;
    }
    const region = entry.metric[labels.regionLabel];
    if (typeof region !== 'string' || region === '') {
      reject(
        'region',
        `a sample has no ${labels.regionLabel} label (aggregate by it: sum by (${labels.regionLabel}, ...))`,
      );
      return;
    }
    const model = entry.metric[labels.modelLabel];
    if (typeof model !== 'string' || model === '') {
      reject(
        'model',
        `a sample has no ${labels.modelLabel} label (aggregate by it: sum by (..., ${labels.modelLabel}))`,
      );
      return;
    }
    const [at, raw] = entry.value as unknown[];
    // Prometheus writes values as strings: "42", "NaN", "+Inf".
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value) || value < 0) {
      reject(field, `${region}/${model}: value ${JSON.stringify(raw)} is not a finite number >= 0`);
      return;
    }
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) {
      reject('at', `${region}/${model}: time ${JSON.stringify(at)} is not seconds since the epoch`);
      return;
    }
    const atMs = at * 1000;
    samples.push({ region, model, value, atMs: atMs > receivedAtMs ? receivedAtMs : atMs });
  });
  return { samples, rejected };
}

// The telemetry body as the contract defines it, checked report by report: one bad
// report is dropped (and counted), it never spoils the rest of the poll.
import type { CapacityReport } from './report.js';

export type RejectReason = 'not-an-object' | 'region' | 'model' | 'capacity' | 'inUse' | 'at';

export interface ParsedTelemetry {
  readonly reports: CapacityReport[];
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly reason: RejectReason; readonly detail: string }>;
}

export class MalformedTelemetryError extends Error {
  readonly code = 'SWITCHYARD_TELEMETRY_MALFORMED';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseAt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v === 'string' && v.length > 0) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

function isAmount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * receivedAtMs bounds `at`: a report from the future counts as measured now, so a
 * skewed clock cannot keep a region fresh forever.
 */
export function parseTelemetryBody(text: string, receivedAtMs: number): ParsedTelemetry {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new MalformedTelemetryError(`body is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(body) || !Array.isArray(body.reports)) {
    throw new MalformedTelemetryError('body must be an object with a "reports" array');
  }
  const reports: CapacityReport[] = [];
  const rejected: Array<{ index: number; reason: RejectReason; detail: string }> = [];
  body.reports.forEach((r: unknown, index: number) => {
    if (!isRecord(r)) {
      rejected.push({ index, reason: 'not-an-object', detail: 'report is not an object' });
      return;
    }
    if (typeof r.region !== 'string' || r.region === '') {
      rejected.push({ index, reason: 'region', detail: 'region must be a non-empty string' });
      return;
    }
    if (typeof r.model !== 'string' || r.model === '') {
      rejected.push({ index, reason: 'model', detail: 'model must be a non-empty string' });
      return;
    }
    if (!isAmount(r.capacity)) {
      rejected.push({
        index,
        reason: 'capacity',
        detail: `capacity must be a finite number >= 0, got ${JSON.stringify(r.capacity)}`,
      });
      return;
    }
    if (!isAmount(r.inUse)) {
      rejected.push({
        index,
        reason: 'inUse',
        detail: `inUse must be a finite number >= 0, got ${JSON.stringify(r.inUse)}`,
      });
      return;
    }
    const at = parseAt(r.at);
    if (at === null) {
      rejected.push({ index, reason: 'at', detail: `at must be ISO-8601 or epoch ms, got ${JSON.stringify(r.at)}` });
      return;
    }
    reports.push({
      region: r.region,
      model: r.model,
      capacity: r.capacity,
      inUse: r.inUse,
      atMs: at > receivedAtMs ? receivedAtMs : at,
    });
  });
  return { reports, rejected };
}

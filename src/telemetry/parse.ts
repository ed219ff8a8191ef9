// The telemetry body as the contract defines it, checked report by report: one bad
// report is dropped (and counted), it never spoils the rest of the poll.
import { z } from 'zod';
import type { CapacityReport } from './report.js';

export type RejectReason = 'not-an-object' | 'region' | 'model' | 'capacity' | 'inUse' | 'at';

export interface ParsedTelemetry {
  readonly reports: CapacityReport[];
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly reason: RejectReason; readonly detail: string }>;
}

export class MalformedTelemetryError extends Error {
  readonly code = 'SWITCHYARD_TELEMETRY_MALFORMED';
}

const name = (field: string) => z.string({ error: `${field} must be a non-empty string` }).min(1);
const amount = (field: string) =>
  z.number({ error: ({ input }) => `${field} must be a finite number >= 0, got ${JSON.stringify(input)}` }).min(0);
const atError = ({ input }: { input?: unknown }) => `at must be ISO-8601 or epoch ms, got ${JSON.stringify(input)}`;
// When the figure was measured: epoch ms, or an ISO-8601 string (which may lie before 1970).
const at = z
  .union([z.number({ error: atError }).min(0), z.string({ error: atError }).min(1)], { error: atError })
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
    ctx.addIssue({ code: 'custom', message: atError({ input: value }) });
    return z.NEVER;
  });

// The fields in the order they are judged: a report is rejected for the first that is wrong.
const REPORT = z.object({
  region: name('region'),
  model: name('model'),
  capacity: amount('capacity'),
  inUse: amount('inUse'),
  at,
});
const BODY = z.object({ reports: z.array(z.unknown()) });

/**
 * receivedAtMs bounds `at`: a report from the future counts as measured now, so a
 * skewed clock cannot keep a region fresh forever.
 */
export function parseTelemetryBody(text: string, receivedAtMs: number): ParsedTelemetry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MalformedTelemetryError(`body is not JSON: ${(err as Error).message}`);
  }
  const body = BODY.safeParse(json);
  if (!body.success) throw new MalformedTelemetryError('body must be an object with a "reports" array');
  const reports: CapacityReport[] = [];
  const rejected: Array<{ index: number; reason: RejectReason; detail: string }> = [];
  body.data.reports.forEach((raw, index) => {
    const report = REPORT.safeParse(raw);
    if (report.success) {
      const { region, model, capacity, inUse, at } = report.data;
      reports.push({ region, model, capacity, inUse, atMs: at > receivedAtMs ? receivedAtMs : at });
      return;
    }
    // The issue of the first field in order; one without a field is about the report itself.
    const [issue] = report.error.issues;
    const field = issue?.path[0] as Exclude<RejectReason, 'not-an-object'> | undefined;
    if (field === undefined) rejected.push({ index, reason: 'not-an-object', detail: 'report is not an object' });
    else rejected.push({ index, reason: field, detail: issue?.message ?? field });
  });
  return { reports, rejected };
}

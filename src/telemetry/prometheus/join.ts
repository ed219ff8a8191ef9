// The two queries' samples joined into capacity reports, one per (region, model).
// A key answered twice by one query is ambiguous (the query does not aggregate by the
// two labels): it is dropped, not guessed. A key answered by one query only has half a
// report: dropped too. An empty answer is counted, since it usually means a query
// that matches nothing (a renamed metric, a missing label) rather than an idle fleet.
import type { Rejection } from '../poll-loop.js';
import type { CapacityReport } from '../report.js';
import type { ParsedVector, Sample } from './vector.js';

const key = (s: Sample): string => `${s.model}\u0000${s.region}`;

/** Samples by key; keys seen more than once map to null. */
function byKey(samples: readonly Sample[]): Map<string, Sample | null> {
  const out = new Map<string, Sample | null>();
  for (const s of samples) out.set(key(s), out.has(key(s)) ? null : s);
  return out;
}

export function joinSamples(
  capacity: ParsedVector,
  inUse: ParsedVector,
): { reports: CapacityReport[]; rejected: Rejection[] } {
  const rejected: Rejection[] = [...capacity.rejected, ...inUse.rejected];
  const caps = byKey(capacity.samples);
  const uses = byKey(inUse.samples);
  if (capacity.samples.length === 0 && capacity.rejected.length === 0) {
    rejected.push({ index: -1, reason: 'empty', detail: 'capacityQuery: no samples' });
  }
  if (inUse.samples.length === 0 && inUse.rejected.length === 0) {
    rejected.push({ index: -1, reason: 'empty', detail: 'inUseQuery: no samples' });
  }
  const reports: CapacityReport[] = [];
  let index = 0;
  for (const [k, cap] of caps) {
    const use = uses.get(k);
    const [model, region] = k.split('\u0000') as [string, string];
    if (cap === null || use === null) {
      const which = cap === null ? 'capacityQuery' : 'inUseQuery';
      rejected.push({
        index: index++,
        reason: 'duplicate',
        detail: `${which}: several samples for ${region}/${model} (aggregate by the region and model labels)`,
      });
      continue;
    }
    if (use === undefined) {
      rejected.push({ index: index++, reason: 'inUse', detail: `inUseQuery: no sample for ${region}/${model}` });
      continue;
    }
    reports.push({
      region,
      model,
      capacity: cap.value,
      inUse: use.value,
      // The older of the two: the report is no newer than its older half.
      atMs: Math.min(cap.atMs, use.atMs),
    });
    index++;
  }
  for (const [k, use] of uses) {
    if (caps.has(k)) continue;
    const [model, region] = k.split('\u0000') as [string, string];
    rejected.push({
      index: index++,
      reason: use === null ? 'duplicate' : 'capacity',
      detail:
        use === null
          ? `inUseQuery: several samples for ${region}/${model} (aggregate by the region and model labels)`
          : `capacityQuery: no sample for ${region}/${model}`,
    });
  }
  return { reports, rejected };
}

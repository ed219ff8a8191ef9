// The queued phase's part of RESULTS.md and results.json: RSS with every request
// waiting against the queue's configured bytes plus the stated overhead per request,
// and what is left once they drained.
import { markdownTable } from '../../tools/table.js';
import type { QueuedFigures } from './queued-phase.js';

const MB = 1048576;
/** Heap after GC after the second cycle may exceed that after the first by this much. */
export const HEAP_GROWTH_MB = 1;

export interface QueuedVerdict {
  readonly markdown: string;
  readonly checks: ReadonlyArray<{ name: string; pass: boolean; value: string }>;
  readonly json: unknown;
}

export function renderQueued(q: QueuedFigures): QueuedVerdict {
  const addedBytes = (q.waitingSample.rssMB - q.baseline.rssMB) * MB;
  const perRequest = addedBytes / q.queued;
  const overhead = perRequest - q.bodyBytes;
  const allowedBytes = q.maxQueuedBytes + q.queued * q.overheadBudgetBytes;
  const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
  const mb = (b: number): string => `${(b / MB).toFixed(1)} MB`;
  const served = q.answers['200'] ?? 0;
  const g = q.gaugesAfter;
  const checks = [
    {
      name: `${q.queued} requests waiting at once`,
      pass: q.peakWaiting >= q.queued,
      value: `${q.peakWaiting} (${mb(q.peakWaitingBytes)} of bodies) after ${q.fillMs} ms`,
    },
    {
      name: `RSS added while they wait <= the queue's bytes (${mb(q.maxQueuedBytes)}) + ${kb(q.overheadBudgetBytes)} per request`,
      pass: addedBytes <= allowedBytes,
      value: `${mb(addedBytes)} of ${mb(allowedBytes)} allowed: ${kb(perRequest)} per request, ${kb(overhead)} beyond its body`,
    },
    {
      name: 'every one served once room came back',
      pass: served === q.queued,
      value: `${served} of ${q.queued} in ${q.drainMs} ms${Object.keys(q.answers).length > 1 ? ` (${JSON.stringify(q.answers)})` : ''}`,
    },
    {
      name: "the queue's gauges back to 0 (/capacity and /metrics)",
      pass: g.waiting === 0 && g.waitingBytes === 0 && g.metricWaiting === 0 && g.metricBytes === 0,
      value: `waiting ${g.waiting}, bytes ${g.waitingBytes}; metrics ${g.metricWaiting}, ${g.metricBytes}`,
    },
    {
      name: `heap after GC: a second cycle adds at most ${HEAP_GROWTH_MB} MB`,
      pass: q.afterSecond.heapUsedMB - q.after.heapUsedMB <= HEAP_GROWTH_MB,
      value: `baseline ${q.baseline.heapUsedMB}, waiting ${q.waitingSample.heapUsedMB}, drained ${q.after.heapUsedMB}, after a second cycle ${q.afterSecond.heapUsedMB} MB`,
    },
    {
      name: 'requests and backend attempts in flight back to 0',
      pass: q.after.requestsInFlight === 0 && q.after.attemptsInFlight === 0,
      value: `${q.after.requestsInFlight}, ${q.after.attemptsInFlight}`,
    },
  ];
  const ok = checks.every((c) => c.pass);
  const row = (label: string, s: QueuedFigures['baseline']) => [
    label,
    s.rssMB,
    s.heapUsedMB,
    s.heapTotalMB,
    s.externalMB,
    s.requestsInFlight,
    s.handles.TCPSocketWrap ?? 0,
  ];
  const markdown = `## Queued phase: ${q.queued} requests waiting

**${ok ? 'Target met' : 'Target NOT met'}.**

${markdownTable(
  ['check', 'result', 'value'],
  checks.map((c) => [c.name, c.pass ? 'pass' : 'FAIL', c.value]),
)}

A fresh router (\`--expose-gc\`) in front of two simulated regions of ${50} slots, one
deployment with \`admission\` { maxWaitMs 120000, maxQueued ${q.queued} + 500, maxQueuedBytes
${q.maxQueuedBytes} (the bodies + 5%) }. First a rehearsal (500 requests wait and drain, so
the queue's code is compiled and the pools exist), then the baseline with the client's
connections closed. Both regions are then made full (background load = capacity:
telemetry says so, and a request sent anyway gets 429), ${q.queued} clients send a
${q.bodyBytes}-byte body at once, each on its own connection, and the router is sampled
(two GCs first) once \`/capacity\` shows all of them waiting. Then the regions are
emptied, every request must be served, the clients close their connections, and the
router is sampled at rest; then the fill and drain run once more. The overhead per request is (RSS waiting - RSS at baseline) /
${q.queued} - ${q.bodyBytes} bytes: the client connection's socket and parser, the request
and response objects, the ticket in the queue. The stated budget is
${kb(q.overheadBudgetBytes)} per request.

${markdownTable(
  ['when', 'RSS MB', 'heap after GC MB', 'heap total MB', 'external MB', 'in flight', 'TCP sockets'],
  [
    row('baseline', q.baseline),
    row('waiting', q.waitingSample),
    row('drained', q.after),
    row('after a second cycle', q.afterSecond),
  ],
)}

Why leaks are judged on the heap after GC over a second cycle, and RSS after the drain is
shown but not judged: the freed memory of 5,000 connections is not handed back to the
system at once (V8 keeps the heap it grew to while 5,000 answers went out, see "heap
total"; glibc's allocator keeps freed pages in its arenas), so RSS once drained stays
near or above its peak whether or not anything leaks, and moves by tens of MB from one
cycle to the next. The heap after GC holds what the first burst compiled and pooled; a
second fill and drain reuses it, and what leaks grows with every cycle.
`;
  return {
    markdown,
    checks,
    json: { ...q, verdict: ok, overheadPerRequestBytes: Math.round(overhead), checks },
  };
}

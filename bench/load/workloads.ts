// The load benchmark's workloads: request bodies, paths and load shapes.
import { FLEETS, MODEL, SSE_TOKENS, type FleetKey } from './fleets.js';

export type WorkloadId = 'A' | 'A-rate' | 'B200' | 'B2000' | 'C' | 'B200-after-A';
/** In the order tables show them. */
export const WORKLOAD_IDS: readonly WorkloadId[] = ['A', 'C', 'A-rate', 'B200', 'B2000', 'B200-after-A'];

export interface Workload {
  readonly id: WorkloadId;
  readonly title: string;
  /** Path and query (Azure style: the deployment is in the path, no body parsing needed). */
  readonly path: string;
  readonly body: string;
  readonly connections: number;
  /** Open-loop rate (A-rate only), requests per second over all connections. */
  readonly rate: number | null;
  readonly streaming: boolean;
}

export function azurePath(deployment: string): string {
  return `/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`;
}

/** A chat request padded (inside the message, with spaces) to exactly `bytes`. */
export function paddedChatBody(bytes: number): string {
  const base = { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: '' }] };
  const empty = JSON.stringify(base).length;
  const msg = base.messages[0];
  if (msg !== undefined) msg.content = `hello${' '.repeat(Math.max(0, bytes - empty - 5))}`;
  return JSON.stringify(base);
}

export const JSON_1KB = paddedChatBody(1024);
export const SSE_BODY = JSON.stringify({
  model: MODEL,
  stream: true,
  max_tokens: SSE_TOKENS,
  messages: [{ role: 'user', content: 'hi' }],
});
export const HEADERS = { 'content-type': 'application/json' };

export const RATE_RPS = 1000;

function workload(
  id: WorkloadId,
  title: string,
  fleet: FleetKey,
  connections: number,
  rate: number | null = null,
): Workload {
  const streaming = fleet === 'sse';
  const body = streaming ? SSE_BODY : JSON_1KB;
  return { id, title, path: azurePath(FLEETS[fleet].deployment), body, connections, rate, streaming };
}

export const WORKLOADS: Readonly<Record<WorkloadId, Workload>> = {
  A: workload('A', '1 KB JSON POST -> 1 KB JSON, 50 connections', 'fast', 50),
  'A-rate': workload(
    'A-rate',
    `workload A at a fixed ${RATE_RPS.toLocaleString('en-US')} req/s (open loop, 10 connections)`,
    'fast',
    10,
    RATE_RPS,
  ),
  B200: workload('B200', `SSE, ${SSE_TOKENS} chunks, 200 concurrent streams`, 'sse', 200),
  B2000: workload('B2000', `SSE, ${SSE_TOKENS} chunks, 2,000 concurrent streams`, 'sse', 2000),
  // B200 on processes that have just served workload A (the carry-over phase, carry-over-phase.ts).
  'B200-after-A': workload(
    'B200-after-A',
    `SSE, ${SSE_TOKENS} chunks, 200 concurrent streams, right after workload A on the same processes`,
    'sse',
    200,
  ),
  C: workload('C', 'workload A while telemetry changes every 100 ms (plan rebuilds under load)', 'wave', 50),
};

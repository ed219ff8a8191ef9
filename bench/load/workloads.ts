// The load benchmark's workloads: request bodies, paths and load shapes.
import { FLEETS, MODEL, SSE_TOKENS, type FleetKey } from './fleets.js';

export type WorkloadId = 'A' | 'A-rate' | 'B200' | 'B2000' | 'C' | 'B200-after-A';
/** In the order tables show them. */
export const WORKLOAD_IDS: readonly WorkloadId[] = ['A', 'C', 'A-rate', 'B200', 'B2000', 'B200-after-A'];

export interface Workload {
  readonly id: WorkloadId;
  readonly title: string;
  readonly fleet: FleetKey;
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

export const WORKLOADS: Readonly<Record<WorkloadId, Workload>> = {
  A: {
    id: 'A',
    title: '1 KB JSON POST -> 1 KB JSON, 50 connections',
    fleet: 'fast',
    path: azurePath(FLEETS.fast.deployment),
    body: JSON_1KB,
    connections: 50,
    rate: null,
    streaming: false,
  },
  'A-rate': {
    id: 'A-rate',
    title: `workload A at a fixed ${RATE_RPS.toLocaleString('en-US')} req/s (open loop, 10 connections)`,
    fleet: 'fast',
    path: azurePath(FLEETS.fast.deployment),
    body: JSON_1KB,
    connections: 10,
    rate: RATE_RPS,
    streaming: false,
  },
  B200: {
    id: 'B200',
    title: `SSE, ${SSE_TOKENS} chunks, 200 concurrent streams`,
    fleet: 'sse',
    path: azurePath(FLEETS.sse.deployment),
    body: SSE_BODY,
    connections: 200,
    rate: null,
    streaming: true,
  },
  B2000: {
    id: 'B2000',
    title: `SSE, ${SSE_TOKENS} chunks, 2,000 concurrent streams`,
    fleet: 'sse',
    path: azurePath(FLEETS.sse.deployment),
    body: SSE_BODY,
    connections: 2000,
    rate: null,
    streaming: true,
  },
  // B200 on processes that have just served workload A (the carry-over phase, carry-over-phase.ts).
  'B200-after-A': {
    id: 'B200-after-A',
    title: `SSE, ${SSE_TOKENS} chunks, 200 concurrent streams, right after workload A on the same processes`,
    fleet: 'sse',
    path: azurePath(FLEETS.sse.deployment),
    body: SSE_BODY,
    connections: 200,
    rate: null,
    streaming: true,
  },
  C: {
    id: 'C',
    title: 'workload A while telemetry changes every 100 ms (plan rebuilds under load)',
    fleet: 'wave',
    path: azurePath(FLEETS.wave.deployment),
    body: JSON_1KB,
    connections: 50,
    rate: null,
    streaming: false,
  },
};

// The replay's clients: each request is one SDK call that makes its own retries, as the
// OpenAI SDKs do (openai-node's retry rules): 408, 409, 429, 5xx and lost connections
// are retried, at most maxRetries times, after the answer's retry-after-ms or
// Retry-After when it has one, else after min(0.5 s x 2^retries, 8 s) less up to 25%
// jitter. The jitter is seeded per request and retry, so a request waits the same in
// every policy's run when it meets the same answers. When the policy says so, the
// backlog's requests send a priority (x-switchyard-priority); the others never do. A
// request with a size sends a prompt of about that many tokens and its max_tokens; the
// others the same short chat.
import type { Agent } from 'undici';
import { PRIORITY_HEADER } from '../src/admission/request-class.js';
import { seededRandom } from '../src/sim/loop-model/random.js';
import { chatBodyOfSize } from '../src/sim/request-sizes.js';
import { TOKENS } from './fleet.js';
import type { Arrival } from './schedule.js';
import type { ClientModel } from './types.js';

const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: TOKENS });
const HEADERS = { 'content-type': 'application/json' };
/** The SDK's own timeout is 10 minutes; a run's requests end long before this one. */
const ATTEMPT_TIMEOUT_MS = 30_000;
const INITIAL_RETRY_S = 0.5;
const MAX_RETRY_S = 8;

export interface ClientRecord {
  readonly tMs: number;
  readonly deployment: string;
  /** One of the backlog's requests (see Arrival). */
  readonly backlog: boolean;
  /** Tokens a quota charges it (body bytes / 4 + max_tokens) when it has a size (see Arrival); else absent. */
  readonly tokens?: number;
  attempts: number;
  /** Last answer's status; 0 for a lost connection, -1 while unanswered. */
  status: number;
  /** The router answered the last attempt itself (no x-switchyard-region). */
  routerAnswered: boolean;
  /** The call is over: served, given up, or out of retries. */
  done: boolean;
  /** When the call ended, on tMs's clock (the clients' `now`); -1 while it has not. */
  endMs: number;
}

export function isRetryable(status: number): boolean {
  return status === 0 || status === 408 || status === 409 || status === 429 || status >= 500;
}

/** How long the SDK waits before retry number `retries + 1`, in ms. */
export function retryDelayMs(
  headers: Record<string, string | string[] | undefined> | null,
  retries: number,
  jitter: number,
  nowMs: number,
): number {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== null && !Number.isNaN(Number.parseFloat(ms))) return Number.parseFloat(ms);
  const after = header(headers, 'retry-after');
  if (after !== null) {
    const s = Number.parseFloat(after);
    if (!Number.isNaN(s)) return s * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  return Math.min(INITIAL_RETRY_S * 2 ** retries, MAX_RETRY_S) * (1 - 0.25 * jitter) * 1000;
}

function header(headers: Record<string, string | string[] | undefined> | null, name: string): string | null {
  const v = headers?.[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

export class SdkClients {
  readonly records: ClientRecord[] = [];
  /** When the router itself turned an attempt away (429 or 503 of its own), ms after the load started. */
  readonly routerRejectionsMs: number[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly backlogHeaders: Record<string, string>;

  constructor(
    private readonly agent: Agent,
    private readonly origin: string,
    private readonly model: ClientModel,
    private readonly seed: number,
    /** Milliseconds since the load started. */
    private readonly now: () => number,
    /** The priority the backlog's requests send; null: none. */
    backlogPriority: number | null,
  ) {
    this.backlogHeaders = backlogPriority === null ? HEADERS : { ...HEADERS, [PRIORITY_HEADER]: `${backlogPriority}` };
  }

  send(arrival: Arrival): void {
    const size = arrival.size;
    const body = size === undefined ? BODY : chatBodyOfSize(size);
    const record: ClientRecord = {
      tMs: arrival.tMs,
      deployment: arrival.deployment,
      backlog: arrival.backlog,
      ...(size === undefined ? {} : { tokens: Math.ceil(body.length / 4) + size.maxTokens }),
      attempts: 0,
      status: -1,
      routerAnswered: false,
      done: false,
      endMs: -1,
    };
    const index = this.records.push(record) - 1;
    const p = this.call(record, index, body).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for every request (retries included) to end, at most until the deadline; the rest stay unanswered. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise((r) => {
          timer = setTimeout(r, Math.max(1, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async call(record: ClientRecord, index: number, body: string): Promise<void> {
    const path = `/openai/deployments/${record.deployment}/chat/completions?api-version=2024-10-21`;
    const headers = record.backlog ? this.backlogHeaders : HEADERS;
    const jitter = seededRandom((this.seed * 1_000_003 + index) >>> 0);
    for (let retries = 0; ; retries++) {
      record.attempts++;
      let answer: Record<string, string | string[] | undefined> | null = null;
      try {
        const res = await this.agent.request({
          origin: this.origin,
          path,
          method: 'POST',
          headers,
          body,
          headersTimeout: ATTEMPT_TIMEOUT_MS,
          bodyTimeout: ATTEMPT_TIMEOUT_MS,
        });
        await res.body.dump();
        record.status = res.statusCode;
        answer = res.headers;
        record.routerAnswered = res.headers['x-switchyard-region'] === undefined;
        if (record.routerAnswered && (res.statusCode === 429 || res.statusCode === 503)) {
          this.routerRejectionsMs.push(this.now());
        }
      } catch {
        record.status = 0;
        record.routerAnswered = false;
      }
      const served = record.status >= 200 && record.status < 400;
      if (served || !isRetryable(record.status) || retries >= this.model.maxRetries) {
        record.done = true;
        record.endMs = this.now();
        return;
      }
      const wait = retryDelayMs(answer, retries, jitter(), Date.now());
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, wait);
        this.timers.add(t);
      });
    }
  }
}

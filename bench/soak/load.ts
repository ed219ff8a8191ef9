// The soak's steady load: requests started at a fixed rate (bounded in count and in
// concurrency), a mix of plain and streamed chat requests in both API styles, clients
// that abort streams halfway, bad requests sampled from the fuzz arbitraries, and
// clients that send half a body and stall. Every answer is tallied by status and error
// code, and checked: a documented status, and a serving region inside the deployment's
// boundary.
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { ROUTER_ERRORS } from '../../src/proxy/errors.js';
import { seededRandom } from '../../src/sim/loop-model/random.js';
import { rawRequestOf, type RawCase } from '../../test/fuzz/arbitraries.js';
import {
  headerValues,
  openRaw,
  parseStrictResponses,
  rawRequest,
  type StrictAnswer,
} from '../../test/helpers/strict-http.js';

export interface LoadTarget {
  readonly port: number;
  /** Deployment -> the regions it may be served in. */
  readonly boundaries: Readonly<Record<string, readonly string[]>>;
}

export type Kind = 'chat' | 'stream' | 'abort' | 'bad' | 'stall';

/** Share of each kind in the mix. */
const MIX: ReadonlyArray<readonly [Kind, number]> = [
  ['chat', 0.58],
  ['stream', 0.25],
  ['abort', 0.08],
  ['bad', 0.08],
  ['stall', 0.01],
];

// What the router and Node's parser (400, 417, 431 for malformed requests) answer by
// themselves. An answer that names its region is a backend's, relayed as it was.
const DOCUMENTED = new Set<number>([200, ...Object.values(ROUTER_ERRORS), 400, 417, 431]);
const MAX_OUTSTANDING = 400;
const BAD_CYCLE_S = 50;

export class Tally {
  readonly byOutcome = new Map<string, number>();
  readonly byKind = new Map<Kind, number>();
  undocumented = 0;
  outsideBoundary = 0;
  clientErrors = 0;
  readonly examples: string[] = [];

  count(kind: Kind, outcome: string): void {
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    this.byOutcome.set(outcome, (this.byOutcome.get(outcome) ?? 0) + 1);
  }

  note(problem: string): void {
    if (this.examples.length < 20) this.examples.push(problem);
  }

  total(): number {
    let n = 0;
    for (const v of this.byKind.values()) n += v;
    return n;
  }
}

export class SteadyLoad {
  /** Tallies per minute; the current one is the last. */
  readonly minutes: Tally[] = [new Tally()];
  outstanding = 0;
  private readonly random: () => number;
  private readonly badCases: RawCase[];
  private readonly agent = new Agent({ connections: 128, keepAliveTimeout: 10_000 });
  private readonly origin: string;
  private readonly names: string[];
  private timer: NodeJS.Timeout | null = null;
  private budget = 0;
  private nextBad = 0;
  started = 0;

  constructor(
    private readonly target: LoadTarget,
    private readonly rate: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    this.origin = `http://127.0.0.1:${target.port}`;
    this.names = Object.keys(target.boundaries);
    // As many distinct bad requests as go by in BAD_CYCLE_S: every one has been seen
    // once by the end of minute 1, so later minutes repeat minute 1's mix and heap
    // growth means retained data, not code compiled for a request first seen late.
    const share = MIX.find(([kind]) => kind === 'bad')?.[1] ?? 0;
    const distinct = Math.max(50, Math.ceil(rate * share * BAD_CYCLE_S));
    this.badCases = fc.sample(rawRequestOf({ deployments: this.names }), { numRuns: distinct, seed });
  }

  get tally(): Tally {
    return this.minutes[this.minutes.length - 1] as Tally;
  }

  newMinute(): void {
    this.minutes.push(new Tally());
  }

  start(): void {
    const tickMs = 20;
    this.timer = setInterval(() => {
      this.budget += (this.rate * tickMs) / 1000;
      while (this.budget >= 1) {
        this.budget -= 1;
        if (this.outstanding >= MAX_OUTSTANDING) continue;
        this.launch(this.pickKind());
      }
    }, tickMs);
  }

  /** Stops starting requests and waits (bounded) for the outstanding ones. */
  async stop(maxWaitMs: number): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const deadline = Date.now() + maxWaitMs;
    while (this.outstanding > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.agent.close();
  }

  private pickKind(): Kind {
    let x = this.random();
    for (const [kind, share] of MIX) {
      x -= share;
      if (x < 0) return kind;
    }
    return 'chat';
  }

  private launch(kind: Kind): void {
    this.outstanding++;
    this.started++;
    const tally = this.tally;
    const run = kind === 'bad' ? this.bad(tally) : kind === 'stall' ? this.stall(tally) : this.chat(kind, tally);
    run
      .catch((err: Error) => {
        tally.clientErrors++;
        tally.count(kind, `client error ${(err as { code?: string }).code ?? err.name}`);
        tally.note(`${kind}: ${err.message}`);
      })
      .finally(() => this.outstanding--);
  }

  private async chat(kind: Kind, tally: Tally): Promise<void> {
    const name = this.names[Math.floor(this.random() * this.names.length)] as string;
    const azure = this.random() < 0.5;
    const stream = kind !== 'chat';
    const body = JSON.stringify({
      ...(azure ? {} : { model: name }),
      messages: [{ role: 'user', content: 'soak' }],
      max_tokens: stream ? 12 : 4,
      stream,
    });
    const path = azure ? `/openai/deployments/${name}/chat/completions?api-version=2024-10-21` : '/v1/chat/completions';
    const controller = new AbortController();
    const res = await request(`${this.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      dispatcher: this.agent,
      signal: controller.signal,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const region = res.headers['x-switchyard-region'];
    if (typeof region === 'string' && !this.target.boundaries[name]?.includes(region)) {
      tally.outsideBoundary++;
      tally.note(`${name} served in ${region}`);
    }
    if (kind === 'abort' && res.statusCode === 200) {
      // Read a little of the stream, then go away.
      for await (const _chunk of res.body) break;
      controller.abort();
      tally.count(kind, '200 aborted by client');
      return;
    }
    const text = await res.body.text();
    tally.count(kind, outcomeOf(res.statusCode, String(res.headers['content-type'] ?? ''), text, region !== undefined));
    if (!DOCUMENTED.has(res.statusCode) && region === undefined) {
      tally.undocumented++;
      tally.note(`${kind} ${name}: status ${res.statusCode}`);
    }
  }

  private async bad(tally: Tally): Promise<void> {
    const c = this.badCases[this.nextBad++ % this.badCases.length] as RawCase;
    let answer: StrictAnswer;
    try {
      answer = await rawRequest(this.target.port, c.bytes, { timeoutMs: 30_000 });
    } catch (err) {
      // A framing error in the router's answer (or none in time) is an outcome of its own.
      tally.count('bad', 'malformed or missing answer');
      tally.undocumented++;
      tally.note(`bad ${c.label}: ${(err as Error).message}`);
      return;
    }
    const fromBackend = headerValues(answer, 'x-switchyard-region').length > 0;
    tally.count(
      'bad',
      outcomeOf(answer.status, headerValues(answer, 'content-type')[0] ?? '', answer.text, fromBackend),
    );
    if (!DOCUMENTED.has(answer.status) && !fromBackend) {
      tally.undocumented++;
      tally.note(`bad ${c.label}: status ${answer.status}`);
    }
  }

  /** Half a body, then nothing: the router must answer 408 once limits.requestBodyTimeoutMs passes. */
  private async stall(tally: Tally): Promise<void> {
    const socket = await openRaw(
      this.target.port,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: soak\r\ncontent-length: 100\r\n\r\n{"model":',
    );
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const giveUp = setTimeout(() => socket.destroy(), 60_000);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve();
      });
      socket.on('error', () => undefined);
    });
    let answers: StrictAnswer[] | null = null;
    try {
      answers = parseStrictResponses(Buffer.concat(chunks)).map((a) => ({ ...a, text: a.body.toString('utf8') }));
    } catch (err) {
      tally.undocumented++;
      tally.note(`stall: ${(err as Error).message}`);
    }
    const answer = answers?.[0];
    tally.count('stall', outcomeOf(answer?.status ?? 0, 'application/json', answer?.text ?? '', false));
  }
}

/** "503 NoRegionAvailable", or "405 method_not_allowed (backend)" for a backend's answer. */
function outcomeOf(status: number, contentType: string, body: string, fromBackend: boolean): string {
  const origin = fromBackend && status !== 200 ? ' (backend)' : '';
  if (status === 200 || !contentType.startsWith('application/json')) return `${status}${origin}`;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? `${status} ${code}${origin}` : `${status}${origin}`;
  } catch {
    return `${status}${origin}`;
  }
}

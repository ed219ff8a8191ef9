// One request as OpenTelemetry sees it: a SERVER span named `{operation} {model}`
// (the client's traceparent, when it sent one, is its parent), a CLIENT span per
// upstream attempt under it, whose context goes upstream as the attempt's traceparent,
// and the GenAI metrics recorded once when the request ends. Exists only while
// OpenTelemetry is on; the request holds null otherwise.
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { GenAiTelemetry, ServerAddress } from './gen-ai-telemetry.js';

/** Tokens an answer reported. */
export interface ReportedUsage {
  readonly input: number;
  readonly output: number;
  readonly cached: number;
}

/** gen_ai.operation.name of an API path (the part after the deployment or /v1/). */
export function operationOf(path: string): string {
  const q = path.indexOf('?');
  const p = (q < 0 ? path : path.slice(0, q)).toLowerCase();
  if (p.endsWith('/chat/completions') || p.endsWith('/responses')) return 'chat';
  if (p.endsWith('/embeddings')) return 'embeddings';
  if (p.endsWith('/completions')) return 'text_completion';
  return 'generate_content';
}

/** gen_ai.provider.name: Azure OpenAI's paths start with /openai/, OpenAI's with /v1/. */
export function providerOf(path: string): string {
  return path.length >= 8 && path.slice(0, 8).toLowerCase() === '/openai/' ? 'azure.ai.openai' : 'openai';
}

const MODEL_KEY = Buffer.from('"model"', 'latin1');
/** Where the answer's model is looked for: the start of its first chunk. */
const MODEL_SCAN_BYTES = 2048;

/** The `"model": "..."` of an answer's first bytes (a JSON body or the first SSE event), or null. */
export function responseModelIn(chunk: Buffer): string | null {
  const at = chunk.indexOf(MODEL_KEY);
  if (at < 0 || at > MODEL_SCAN_BYTES) return null;
  let i = at + MODEL_KEY.length;
  while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d)) i++;
  if (chunk[i] !== 0x3a) return null;
  i++;
  while (i < chunk.length && chunk[i] === 0x20) i++;
  if (chunk[i] !== 0x22) return null;
  const end = chunk.indexOf(0x22, i + 1);
  if (end < 0 || end - i > 256 || chunk.subarray(i + 1, end).includes(0x5c)) return null;
  return chunk.toString('utf8', i + 1, end);
}

function headerSetter(carrier: string[], key: string, value: string): void {
  carrier.push(key, value);
}

export class RequestTrace {
  private readonly operation: string;
  private readonly provider: string;
  private readonly span: Span | null;
  /** The request span's context: the attempts' parent. */
  private readonly context: Context;
  private attempt: Span | null = null;
  private attempts = 0;
  private server: ServerAddress | null = null;
  private responseModel: string | null = null;
  private firstByteS = -1;
  private errorType: string | null = null;
  /** performance.now() when it last began waiting for room; -1 when not waiting. */
  private waitStart = -1;

  constructor(
    private readonly telemetry: GenAiTelemetry,
    headers: IncomingHttpHeaders,
    path: string,
    private readonly requestModel: string,
    /** performance.now() when the request arrived. */
    private readonly startedAt: number,
  ) {
    this.operation = operationOf(path);
    this.provider = providerOf(path);
    const tracer = telemetry.tracer;
    if (tracer === null) {
      this.span = null;
      this.context = ROOT_CONTEXT;
      return;
    }
    const parent = telemetry.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    this.span = tracer.startSpan(
      `${this.operation} ${requestModel}`,
      {
        kind: SpanKind.SERVER,
        startTime: startedAt,
        attributes: {
          'gen_ai.operation.name': this.operation,
          'gen_ai.provider.name': this.provider,
          'gen_ai.request.model': requestModel,
        },
      },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
  }

  /** The request starts waiting for room (admission). */
  waiting(): void {
    this.waitStart = performance.now();
  }

  /**
   * An attempt starts: its span, and the headers it is sent with (the client's, with
   * the attempt's traceparent in place of any the client sent).
   */
  attemptStarted(region: string, backendUrl: string, retryReason: string | null, headers: string[]): string[] {
    this.endAttempt();
    this.attempts++;
    const server = this.telemetry.serverOf(backendUrl);
    this.server = server;
    const tracer = this.telemetry.tracer;
    if (tracer === null) return headers;
    const attributes: Attributes = {
      'gen_ai.operation.name': this.operation,
      'gen_ai.provider.name': this.provider,
      'gen_ai.request.model': this.requestModel,
      'server.address': server.address,
      'server.port': server.port,
      'switchyard.region': region,
      'switchyard.attempt': this.attempts,
    };
    if (retryReason !== null) attributes['switchyard.retry_reason'] = retryReason;
    if (this.waitStart >= 0) {
      attributes['switchyard.admission.wait_ms'] = Math.round(performance.now() - this.waitStart);
      this.waitStart = -1;
    }
    const span = tracer.startSpan(`attempt ${region}`, { kind: SpanKind.CLIENT, attributes }, this.context);
    this.attempt = span;
    const out: string[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = (headers[i] as string).toLowerCase();
      if (name === 'traceparent' || name === 'tracestate') continue;
      out.push(headers[i] as string, headers[i + 1] as string);
    }
    this.telemetry.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), out, { set: headerSetter });
    return out;
  }

  /** The attempt's answer head arrived. */
  attemptHead(status: number): void {
    const span = this.attempt;
    if (span === null) return;
    span.setAttribute('http.response.status_code', status);
    if (status >= 400) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  /** The attempt is over; errorCode when it failed without an answer. */
  attemptEnded(errorCode: string | null): void {
    if (errorCode !== null && this.attempt !== null) {
      this.attempt.setAttribute('error.type', errorCode);
      this.attempt.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
    }
    this.endAttempt();
  }

  /** The first answer byte went to the client (the router's time to first token). */
  firstByte(chunk: Buffer | undefined): void {
    if (this.firstByteS >= 0) return;
    this.firstByteS = (performance.now() - this.startedAt) / 1000;
    if (chunk !== undefined) this.responseModel = responseModelIn(chunk);
  }

  /**
   * The answer broke off after its head went out (the upstream failed mid-stream): the
   * status says 200, the error type says what cut it.
   */
  streamBroken(code: string): void {
    this.errorType = code;
  }

  /** The router answered itself with this error code. */
  routerError(code: string): void {
    this.errorType = code;
  }

  /** The request is over: its span ends, the GenAI metrics are recorded. */
  finish(status: number, usage: ReportedUsage | null): void {
    this.endAttempt();
    const telemetry = this.telemetry;
    const errorType = this.errorType ?? (status >= 400 || status === 0 ? String(status) : null);
    const attributes: Attributes = {
      'gen_ai.operation.name': this.operation,
      'gen_ai.provider.name': this.provider,
      'gen_ai.request.model': this.requestModel,
    };
    if (this.responseModel !== null) attributes['gen_ai.response.model'] = this.responseModel;
    if (this.server !== null) {
      attributes['server.address'] = this.server.address;
      attributes['server.port'] = this.server.port;
    }
    if (errorType !== null) attributes['error.type'] = errorType;
    const span = this.span;
    if (span !== null) {
      span.setAttributes(attributes);
      span.setAttribute('http.response.status_code', status);
      if (usage !== null) {
        span.setAttribute('gen_ai.usage.input_tokens', usage.input);
        span.setAttribute('gen_ai.usage.output_tokens', usage.output);
        span.setAttribute('gen_ai.usage.cache_read.input_tokens', usage.cached);
      }
      if (errorType !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
      span.end();
    }
    telemetry.operationDuration?.record((performance.now() - this.startedAt) / 1000, attributes);
    if (this.firstByteS >= 0) telemetry.timeToFirstToken?.record(this.firstByteS, attributes);
    const tokens = telemetry.tokenUsage;
    if (usage !== null && tokens !== null) {
      tokens.record(usage.input, { ...attributes, 'gen_ai.token.type': 'input' });
      tokens.record(usage.output, { ...attributes, 'gen_ai.token.type': 'output' });
    }
  }

  private endAttempt(): void {
    if (this.attempt === null) return;
    this.attempt.end();
    this.attempt = null;
  }
}

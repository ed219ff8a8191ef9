// The JSON capacity report (telemetry.url) as a polled source: GET, then the contract's
// body, checked report by report (parse.ts).
import { Client } from 'undici';
import { redactUrl } from '../net/redact-url.js';
import { getLimitedText, PollFailure } from './http-get.js';
import { MalformedTelemetryError, parseTelemetryBody } from './parse.js';
import { PollLoop, type PollLoopOptions, type PollResult } from './poll-loop.js';

export interface PollerOptions extends PollLoopOptions {
  readonly url: string;
}

const HEADERS = Object.freeze({ accept: 'application/json' });

export class TelemetryPoller extends PollLoop {
  private readonly client: Client;
  private readonly path: string;

  constructor(opts: PollerOptions) {
    super('json', redactUrl(opts.url), opts);
    const url = new URL(opts.url);
    this.client = new Client(url.origin, {
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connectTimeout: opts.timeoutMs,
    });
    this.path = url.pathname + url.search;
  }

  protected async poll(signal: AbortSignal): Promise<PollResult> {
    const { timeoutMs, maxBodyBytes, now } = this.opts;
    const res = await getLimitedText(this.client, {
      path: this.path,
      headers: HEADERS,
      signal,
      timeoutMs,
      maxBodyBytes,
      errorBodies: false,
    });
    if (res.status < 200 || res.status >= 300) {
      throw new PollFailure('http_status', `telemetry source answered HTTP ${res.status}`);
    }
    try {
      return parseTelemetryBody(res.text, now());
    } catch (err) {
      if (err instanceof MalformedTelemetryError) throw new PollFailure('malformed', err.message);
      throw err;
    }
  }

  protected close(): Promise<void> {
    return this.client.destroy();
  }
}

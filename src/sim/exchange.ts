// One admitted inference request (chat, responses, embeddings) from admission to its
// last byte. Zero-delay answers are written synchronously (no timer, no listener),
// which is what the benchmarks hit; timed answers hold a single timer and watch the
// client so an abort frees the slot. What the bytes look like is the format's.
import type { ServerResponse } from 'node:http';
import type { ReplyFormat } from './reply-format.js';
import { sendJson, type CompletionFields } from './replies.js';

export type Outcome = 'served' | 'aborted';

/** Per-backend settings every exchange reads; one object per backend, never per request. */
export interface ServeConfig {
  /** ORCA endpoint-load-metrics as of the moment the head is written. */
  orcaValue(format: 'text' | 'json'): string;
  readonly ttftMs: number;
  readonly perTokenMs: number;
  readonly responseBytes: number | null;
  readonly regionHeader: Readonly<Record<string, string>>;
  readonly streamHeaders: Readonly<Record<string, string>>;
  /** Called exactly once per exchange, with the capacity it held (exchange's `held`). */
  release(outcome: Outcome, held: number): void;
}

export class Exchange {
  private timer: NodeJS.Timeout | null = null;
  private sent = 0;
  private settled = false;

  constructor(
    private readonly cfg: ServeConfig,
    private readonly res: ServerResponse,
    private readonly f: CompletionFields,
    private readonly format: ReplyFormat,
    /** The part of the region's capacity this exchange holds until it settles, in the region's unit. */
    private readonly held: number,
  ) {}

  complete(): void {
    const delay = this.cfg.ttftMs + this.f.tokens * this.cfg.perTokenMs;
    if (delay === 0) {
      this.sendCompletion();
      return;
    }
    this.watchClient();
    this.timer = setTimeout(sendCompletionLater, delay, this);
  }

  stream(): void {
    this.reportLoad();
    this.res.writeHead(200, this.cfg.streamHeaders);
    const start = this.format.streamStart(this.f);
    // Clients must see the status at once, before the first token exists.
    if (start === '') this.res.flushHeaders();
    else this.res.write(start);
    if (this.cfg.ttftMs === 0 && this.cfg.perTokenMs === 0) {
      this.emitTokens();
      return;
    }
    this.watchClient();
    if (this.cfg.ttftMs === 0) this.emitTokens();
    else this.timer = setTimeout(emitTokensLater, this.cfg.ttftMs, this);
  }

  sendCompletion(): void {
    this.timer = null;
    this.reportLoad();
    sendJson(this.res, 200, this.format.body(this.f, this.cfg.responseBytes), this.cfg.regionHeader);
    this.settle('served');
  }

  /** Writes the next token, or all remaining ones when there is no per-token delay. */
  emitTokens(): void {
    this.timer = null;
    const { res, f } = this;
    do {
      const i = this.sent++;
      res.write(this.format.token(f, i, this.sent === f.tokens));
    } while (this.cfg.perTokenMs === 0 && this.sent < f.tokens);
    if (this.sent < f.tokens) {
      this.timer = setTimeout(emitTokensLater, this.cfg.perTokenMs, this);
      return;
    }
    res.end(this.format.streamEnd(f));
    this.settle('served');
  }

  /** Load metrics go with the head, measured when it is written (as vLLM does). */
  private reportLoad(): void {
    const format = this.f.orca;
    if (format !== undefined && format !== null)
      this.res.setHeader('endpoint-load-metrics', this.cfg.orcaValue(format));
  }

  private watchClient(): void {
    // 'close' also fires after a normal end; settle() makes that a no-op.
    this.res.once('close', () => this.settle('aborted'));
  }

  private settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.cfg.release(outcome, this.held);
  }
}

// Module-level callbacks with the exchange as timer argument: no closure per tick.
function sendCompletionLater(ex: Exchange): void {
  ex.sendCompletion();
}

function emitTokensLater(ex: Exchange): void {
  ex.emitTokens();
}

// Learns where new stored objects live from an answer the router relays: the ids of
// responses, conversations, files, batches and reasoning items in a successful answer
// (a JSON body, or an SSE stream's events, response.created first) belong to the
// region that sent it. Only requests that create stored objects get a learner; the
// bytes are looked at as they pass (with a short tail kept across chunk boundaries),
// never held back.
import type { HomeCache } from './home-cache.js';

/** `"id": "<prefix>..."` for the kinds of ids that name stored state. */
const ID_PATTERN = /"id"\s*:\s*"((?:resp_|rs_|conv_|file-|assistant-|batch_)[A-Za-z0-9_-]{1,200})"/g;
/** Enough of the previous chunk to complete an id cut in two. */
const TAIL = 240;
/** An answer teaches at most this many ids (a long list call must not flush the cache). */
const MAX_IDS = 32;

export class AnswerLearner {
  private region: string | null = null;
  private tail = '';
  private learned = 0;

  constructor(
    private readonly cache: HomeCache,
    private readonly deployment: string,
    /** Ids the request sent that the answering region has proved it holds (replayed reasoning items). */
    private readonly confirmed: readonly string[],
    private readonly onLearned: (n: number) => void,
  ) {}

  /** The answer's head is out: a 2xx from `region` is learned from. */
  head(region: string, status: number): void {
    if (status < 200 || status >= 300) return;
    this.region = region;
    for (const id of this.confirmed) this.learn(id);
  }

  data(chunk: Buffer): void {
    if (this.region === null || this.learned >= MAX_IDS) return;
    const text = this.tail + chunk.toString('latin1');
    ID_PATTERN.lastIndex = 0;
    for (let m = ID_PATTERN.exec(text); m !== null; m = ID_PATTERN.exec(text)) {
      // An id wholly inside the tail was learned with the previous chunk.
      if (m.index + m[0].length <= this.tail.length) continue;
      this.learn(m[1] as string);
      if (this.learned >= MAX_IDS) break;
    }
    this.tail = text.length > TAIL ? text.slice(text.length - TAIL) : text;
  }

  private learn(id: string): void {
    this.cache.remember(id, { region: this.region as string, deployment: this.deployment });
    this.learned++;
    this.onLearned(1);
  }
}

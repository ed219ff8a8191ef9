// Real-ish prompts for calibrating the token estimate: chat conversations, Responses
// inputs and embeddings inputs cut from text that ships with the pinned dependencies,
// so that the corpus (and the figures docs/telemetry.md states) change only when a
// dependency's version does, never with the repository's own docs or sources: English
// prose (undici's API docs), JavaScript (undici's sources), JSON (Biome's configuration
// schema), and Chinese, Japanese and Russian prose (Biome's translated READMEs).
// Lengths are log-uniform from ~100 bytes to ~40 KB; a fixed seed makes the corpus the
// same on every run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo-root.js';
import { seededRandom } from '../../src/sim/loop-model/random.js';

export interface CorpusMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface CorpusPrompt {
  readonly kind: string;
  /** The API the body is for. */
  readonly api: 'chat' | 'responses' | 'embeddings';
  readonly body: string;
  /** The conversation (chat) or the text (responses, embeddings), for the reference tokenizer. */
  readonly messages: readonly CorpusMessage[] | null;
  readonly text: string | null;
}

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

/** The source texts by kind. */
export function corpusSources(): Record<string, string> {
  const root = repoRoot();
  const read = (files: string[]) => files.map((f) => readFileSync(f, 'utf8')).join('\n\n');
  const biome = join(root, 'node_modules/@biomejs/biome');
  const undici = join(root, 'node_modules/undici');
  return {
    prose: read(filesUnder(join(undici, 'docs/docs/api'), '.md')),
    code: read(filesUnder(join(undici, 'lib'), '.js')),
    json: read([join(biome, 'configuration_schema.json')]),
    chinese: read([join(biome, 'README.zh-CN.md')]),
    japanese: read([join(biome, 'README.ja.md')]),
    russian: read([join(biome, 'README.ru.md')]),
  };
}

function cut(text: string, rand: () => number, minChars: number, maxChars: number): string {
  const len = Math.round(Math.exp(Math.log(minChars) + rand() * (Math.log(maxChars) - Math.log(minChars))));
  const n = Math.min(len, text.length);
  const start = Math.floor(rand() * (text.length - n));
  return text.slice(start, start + n);
}

export function promptCorpus(count = 300, seed = 42): CorpusPrompt[] {
  const rand = seededRandom(seed);
  const sources = corpusSources();
  const kinds = Object.keys(sources);
  const pickKind = () => kinds[Math.floor(rand() * kinds.length)] as string;
  const out: CorpusPrompt[] = [];
  for (let i = 0; i < count; i++) {
    const kind = pickKind();
    const src = sources[kind] as string;
    const shape = i % 4;
    if (shape <= 1) {
      // A chat: a system prompt of prose, then 1-6 turns, the last one from this kind.
      const messages: CorpusMessage[] = [{ role: 'system', content: cut(sources.prose as string, rand, 60, 2000) }];
      const turns = 1 + Math.floor(rand() * 6);
      for (let t = 0; t < turns; t++) {
        const role = t % 2 === 0 ? 'user' : 'assistant';
        const from = t === turns - 1 ? src : (sources[pickKind()] as string);
        messages.push({ role, content: cut(from, rand, 40, 12_000) });
      }
      if (messages.at(-1)?.role === 'assistant') messages.push({ role: 'user', content: cut(src, rand, 40, 4000) });
      const body = JSON.stringify({ model: 'gpt-5.2', messages, max_tokens: 500, stream: rand() < 0.5 });
      out.push({ kind, api: 'chat', body, messages, text: null });
    } else if (shape === 2) {
      const text = cut(src, rand, 100, 40_000);
      const body = JSON.stringify({ model: 'gpt-5.2', input: text, max_output_tokens: 1000 });
      out.push({ kind, api: 'responses', body, messages: null, text });
    } else {
      const text = cut(src, rand, 100, 8000);
      out.push({ kind, api: 'embeddings', body: JSON.stringify({ input: text }), messages: null, text });
    }
  }
  return out;
}

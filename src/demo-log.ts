// Where the demo's log lines go. At a terminal a person reads them: one short line per
// event (time, level, message, key=value), held back until the demo has printed its
// instructions so those stay on top. Anywhere else (a pipe, a file, a test) they stay
// the JSON lines that scripts parse, unchanged.
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';

// Fields every line has, or that the prettifier already shows.
const SKIP = new Set(['time', 'level', 'pid', 'hostname', 'name', 'msg']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** "routing mode deployment=chat-eu mode=conservative reason=\"coverage 0.67 < 0.75 ...\"" */
export function formatEvent(log: Record<string, unknown>): string {
  const fields = Object.entries(log)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  return [String(log.msg ?? ''), ...fields].join(' ');
}

export interface DemoLog {
  /** The logger's destination; undefined means pino's default (JSON on stdout). */
  readonly destination: DestinationStream | undefined;
  /** Lets the held-back lines (and all later ones) through. */
  open(): void;
}

export function demoLog(out: NodeJS.WriteStream = process.stdout): DemoLog {
  if (out.isTTY !== true) return { destination: undefined, open: () => undefined };
  const pretty = prettyFactory({
    colorize: process.env.NO_COLOR === undefined,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    hideObject: true,
    messageFormat: (log) => formatEvent(log),
  });
  let held: string[] | null = [];
  const stream = new Writable({
    // pino writes one JSON line per call to a plain stream.
    write(chunk: Buffer, _enc, done) {
      const line = pretty(chunk.toString('utf8'));
      if (held === null) out.write(line);
      else held.push(line);
      done();
    },
  });
  return {
    destination: stream,
    open() {
      if (held === null) return;
      out.write('log:\n');
      for (const line of held) out.write(line);
      held = null;
    },
  };
}

// Open-loop load at a fixed rate for "latency added over direct". autocannon's
// overallRate does not pace: each connection sends its per-second quota back to back
// at every 1 s tick, then idles (lib/httpClient.js), so its latencies are those of a
// saturated burst. Here requests leave on a fixed schedule (1 ms timer, catching up
// when late) over an undici Pool of `connections`, and each latency is timed from the
// send to the last body byte.
import { Pool } from 'undici';
import { summarise, type LoadResult } from './load-result.js';
import { HEADERS } from './workloads.js';

let stopRequested = false;

export function stopPaced(): void {
  stopRequested = true;
}

export interface PacedSpec {
  readonly origin: string;
  readonly path: string;
  readonly body: string;
  readonly connections: number;
  readonly rate: number;
  readonly durationS: number;
}

export async function runPaced(spec: PacedSpec, progress: boolean): Promise<LoadResult> {
  stopRequested = false;
  const pool = new Pool(spec.origin, { connections: spec.connections });
  const latencies: number[] = [];
  let ok = 0;
  let other = 0;
  let errors = 0;
  let timeouts = 0;
  let sent = 0;
  let outstanding = 0;
  const total = Math.round(spec.rate * spec.durationS);
  const started = performance.now();

  const one = async (): Promise<void> => {
    outstanding++;
    const t0 = performance.now();
    try {
      const res = await pool.request({
        method: 'POST',
        path: spec.path,
        headers: HEADERS,
        body: spec.body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      for await (const _chunk of res.body) {
        // drain
      }
      const t1 = performance.now();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        ok++;
        latencies.push(t1 - t0);
      } else {
        other++;
      }
    } catch (err) {
      errors++;
      if (/timeout/i.test((err as { code?: string }).code ?? '')) timeouts++;
    } finally {
      outstanding--;
    }
  };

  await new Promise<void>((resolve) => {
    let lastShown = -1;
    const timer = setInterval(() => {
      const elapsedMs = performance.now() - started;
      const due = Math.min(total, Math.floor((elapsedMs * spec.rate) / 1000));
      while (sent < due && !stopRequested) {
        sent++;
        void one();
      }
      const second = Math.floor(elapsedMs / 1000);
      if (progress && second !== lastShown) {
        lastShown = second;
        process.stderr.write(`\r  paced ${spec.rate} req/s: ${sent}/${total} sent, ${outstanding} outstanding   `);
      }
      if (sent >= total || stopRequested) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  // Bounded wait for the last answers.
  const deadline = performance.now() + 11_000;
  while (outstanding > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const durationS = (performance.now() - started) / 1000;
  if (progress) process.stderr.write('\r\x1b[K');
  await pool.destroy();
  return summarise(latencies, { durationS, completed: ok + other, ok2xx: ok, non2xx: other, errors, timeouts });
}

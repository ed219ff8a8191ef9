// Closed-loop load with autocannon's programmatic API (its progress bar on a TTY).
import autocannon, { type Instance } from 'autocannon';
import { summarise, type LoadResult } from './load-result.js';
import { HEADERS } from './workloads.js';

let current: Instance | null = null;

/** Ctrl-C: end the running load now (autocannon then calls back as usual). */
export function stopAutocannon(): void {
  current?.stop();
}

export interface AutocannonSpec {
  readonly url: string;
  readonly body: string;
  readonly connections: number;
  readonly durationS: number;
}

export function runAutocannon(spec: AutocannonSpec, progress: boolean): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let ok = 0;
    let other = 0;
    const instance = autocannon(
      {
        url: spec.url,
        method: 'POST',
        headers: HEADERS,
        body: spec.body,
        connections: spec.connections,
        duration: spec.durationS,
        timeout: 10,
      },
      (err, result) => {
        current = null;
        if (err !== null) {
          reject(err);
          return;
        }
        resolve(
          summarise(latencies, {
            durationS: result.duration,
            completed: ok + other,
            ok2xx: ok,
            non2xx: other,
            errors: result.errors,
            timeouts: result.timeouts,
          }),
        );
      },
    );
    current = instance;
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        latencies.push(responseTimeMs);
      } else {
        other++;
      }
    });
    if (progress) {
      autocannon.track(instance, {
        outputStream: process.stderr,
        renderProgressBar: true,
        renderResultsTable: false,
        renderLatencyTable: false,
      });
    }
  });
}

// The clock and the connections of open-loop clients, whose requests leave on a
// precomputed schedule whether or not earlier ones have been answered (a closed loop
// would slow down exactly when the router misbehaves, and hide it).
import { Agent } from 'undici';

/** Keep-alive, one request per connection at a time, as many connections as the load needs. */
export function openLoopAgent(): Agent {
  return new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
}

/**
 * Calls `step` with the milliseconds since the start, about every millisecond, until it
 * returns true: the clock of an open-loop schedule (each step sends what has come due).
 */
export function tickUntil(step: (elapsedMs: number) => boolean): Promise<void> {
  const t0 = performance.now();
  return new Promise<void>((resolve) => {
    const tick = (): void => {
      if (step(performance.now() - t0)) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
}

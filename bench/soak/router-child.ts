// The router under soak, in its own process so that its heap is its own: started with
// --expose-gc by run.ts, configured by a JSON argument, and sampled over IPC. A sample
// collects garbage first, so heap figures are what is still alive.
import { getHeapCodeStatistics, getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { validateConfig } from '../../src/config/validate.js';
import { createLogger } from '../../src/logger/logger.js';
import { Router } from '../../src/router/router.js';

export interface RouterSample {
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly heapTotalMB: number;
  readonly externalMB: number;
  /** Heap used per V8 space: code growing while old space holds still is compiled code, not data. */
  readonly spacesMB: Record<string, number>;
  /**
   * Compiled code with its metadata, bytecode included (v8.getHeapCodeStatistics): part of
   * the heap that grows while V8 optimises and re-optimises functions, wherever it lives.
   */
  readonly compiledMB: number;
  readonly requestsInFlight: number;
  /** Backend attempts in flight, summed over backends. */
  readonly attemptsInFlight: number;
  /** undici pool counts summed over backends. */
  readonly pool: { connected: number; free: number; pending: number; running: number; size: number };
  /** Resources keeping the event loop alive (sockets, timers), by type. */
  readonly handles: Record<string, number>;
  readonly logLines: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('router-child needs --expose-gc');

const checked = validateConfig(JSON.parse(process.argv[2] ?? '{}'));
if (!checked.ok) throw new Error(`soak config invalid:\n${checked.errors.join('\n')}`);
let logLines = 0;
const logger = createLogger(checked.config.log.level, {
  write(line: string) {
    logLines++;
    // Warnings and errors are kept for the report (the parent reads stdout).
    process.stdout.write(line);
  },
});
const router = new Router({ config: checked.config, logger });

function sample(): RouterSample {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const pool = { connected: 0, free: 0, pending: 0, running: 0, size: 0 };
  let attempts = 0;
  for (const upstream of router.upstreams.values()) {
    for (const b of upstream.backends) {
      attempts += b.inFlight;
      const s = b.pool.stats;
      pool.connected += s.connected;
      pool.free += s.free;
      pool.pending += s.pending;
      pool.running += s.running;
      pool.size += s.size;
    }
  }
  const handles: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1;
  const mb = (n: number): number => Math.round((n / 1048576) * 100) / 100;
  const code = getHeapCodeStatistics();
  const spacesMB: Record<string, number> = {};
  for (const space of getHeapSpaceStatistics()) spacesMB[space.space_name] = mb(space.space_used_size);
  return {
    rssMB: mb(m.rss),
    heapUsedMB: mb(m.heapUsed),
    heapTotalMB: mb(m.heapTotal),
    externalMB: mb(m.external),
    spacesMB,
    compiledMB: mb(code.code_and_metadata_size + code.bytecode_and_metadata_size),
    requestsInFlight: router.requestsInFlight,
    attemptsInFlight: attempts,
    pool,
    handles,
    logLines,
  };
}

process.on('message', (msg: { type: string; id: number; path?: string }) => {
  if (msg.type === 'sample') process.send?.({ type: 'sample', id: msg.id, sample: sample() });
  if (msg.type === 'snapshot' && msg.path !== undefined) {
    gc?.();
    writeHeapSnapshot(msg.path);
    process.send?.({ type: 'snapshot', id: msg.id });
  }
  if (msg.type === 'stop') {
    void router.stop().then(() => process.exit(0));
  }
});
process.on('disconnect', () => {
  void router.stop().then(() => process.exit(0));
});

const { data, admin } = await router.start();
process.send?.({ type: 'ready', dataPort: data.port, adminPort: admin.port });

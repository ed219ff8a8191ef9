// Does a pick allocate? Heap figures around 10 million picks, with forced GCs
// (node --expose-gc) and a count of the collections that ran inside the loop.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { Kernel } from './kernels.js';

export interface AllocationResult {
  readonly picks: number;
  /** heapUsed right after the loop minus heapUsed after a GC before it, per pick. */
  readonly allocatedBytesPerPick: number;
  /** The same with a GC after the loop too: what the picks left behind. */
  readonly retainedBytesPerPick: number;
  /** Collections during the loop; 0 with a ~0 allocated delta means nothing was allocated. */
  readonly gcsDuringLoop: number;
}

type Gc = () => void;

const CHUNK = 1000;

/** Kept to a small integer so the driver's own loop never boxes a number, even interpreted. */
function drive<T>(kernel: Kernel<T>, selector: T, rnd: Float64Array, calls: number): number {
  let s = 0;
  for (let k = 0; k < calls; k++) s = (s ^ kernel(selector, rnd, CHUNK)) & 0xfffff;
  return s;
}

export function gcFunction(): Gc | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as Gc) : null;
}

export async function measureAllocation<T>(
  kernel: Kernel<T>,
  selector: T,
  rnd: Float64Array,
  picks: number,
): Promise<AllocationResult> {
  const gc = gcFunction();
  if (gc === null) throw new Error('run with node --expose-gc (npm run bench:selector does)');
  // Picks are driven in calls of CHUNK, the way requests call pick(): after the warm-up
  // every call enters optimised code. (A single 10 M loop would start interpreted,
  // and interpreted code boxes every double on the heap until on-stack replacement.)
  const calls = Math.ceil(picks / CHUNK);
  drive(kernel, selector, rnd, 3000);
  drive(kernel, selector, rnd, 3000);

  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcStarts.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  gc();
  gc();
  const t0 = performance.now();
  const before = process.memoryUsage().heapUsed;
  const sink = drive(kernel, selector, rnd, calls);
  const after = process.memoryUsage().heapUsed;
  const t1 = performance.now();
  gc();
  const retained = process.memoryUsage().heapUsed;
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 20));
  observer.disconnect();
  if (sink === -1) process.stdout.write(''); // keep `sink` observable
  return {
    picks: calls * CHUNK,
    allocatedBytesPerPick: (after - before) / (calls * CHUNK),
    retainedBytesPerPick: (retained - before) / (calls * CHUNK),
    gcsDuringLoop: gcStarts.filter((t) => t >= t0 && t <= t1).length,
  };
}

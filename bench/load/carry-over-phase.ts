// The carry-over phase: what one load leaves behind in a process for the next. One
// switchyard and one lean peer each serve both the JSON and the SSE fleet (CARRY_FLEETS);
// in every round each runs workload A and, as soon as the backends have none of its
// requests left in flight, B200 on the same process, recorded as B200-after-A. The pair
// runs back to back as in the other phases (roundOrder), and the rounds are split into
// sessions of fresh processes warmed up with workload A only: a state a JSON burst leaves
// behind may show in a process's first SSE load alone, and every session starts with one.
import { backendFigures } from './drop-phase.js';
import { load } from './measure.js';
import {
  type Entry,
  measure,
  type PhaseContext,
  PhaseTargets,
  recordPeaks,
  roundOrder,
  stopProxies,
  warmUp,
} from './phases.js';
import { LEAN, startPeer, startSwitchyard, type Target } from './targets.js';
import { WORKLOADS } from './workloads.js';
import { num } from '../../tools/table.js';
import { pollUntil } from '../../tools/wait.js';

/** The longest wait for the previous load's requests to leave the backends. */
const DRAIN_LIMIT_MS = 1000;

/** Waits until the backends have no request in flight (at most DRAIN_LIMIT_MS); the ms waited. */
async function drained(ctx: PhaseContext): Promise<number> {
  const t0 = performance.now();
  const fleet = ctx.carryFleets[0];
  if (fleet !== undefined) {
    const idle = async (): Promise<boolean> => (await backendFigures(fleet)).inFlight === 0;
    await pollUntil(idle, { timeoutMs: DRAIN_LIMIT_MS, everyMs: 10 });
  }
  return performance.now() - t0;
}

export async function phaseCarry(ctx: PhaseContext): Promise<void> {
  const after = WORKLOADS['B200-after-A'];
  const wanted = ctx.opts.targets;
  if (!ctx.opts.workloads.has(after.id) || !(wanted.has(LEAN) || wanted.has('switchyard'))) return;
  const n = ctx.opts.carryRounds;
  const sessions = Math.min(ctx.opts.sessions, n);
  ctx.log(
    `carry-over phase: workload A, then at once B200 on the same processes (${n} rounds, ${sessions} session${sessions === 1 ? '' : 's'})`,
  );
  const list: Target[] = [];
  if (wanted.has(LEAN)) list.push(await startPeer(ctx.reg, 'undici-stream', ctx.carryFleets));
  if (wanted.has('switchyard')) list.push(await startSwitchyard(ctx.reg, ctx.carryFleets, 500));
  const phase = new PhaseTargets(ctx, ctx.carryFleets, list);
  const entries: Entry[] = list.map((target) => ({ target, workload: WORKLOADS.A }));
  try {
    await warmUp(ctx, entries, ctx.opts.warmupS);
    const perSession = Math.ceil(n / sessions);
    for (let round = 1; round <= n; round++) {
      if (round > 1 && (round - 1) % perSession === 0) await phase.renewPair(entries);
      for (const e of roundOrder(entries, round, false)) {
        ctx.check();
        ctx.log(`  [A round ${round}/${n}] ${e.target.label} ...`);
        const a = await load(e.target, WORKLOADS.A, ctx.opts.durationS, ctx.opts.progress);
        const waited = await drained(ctx);
        const bad = a.errors + a.non2xx;
        if (bad > 0) ctx.notes.push(`carry-over round ${round}, ${e.target.name}: workload A had ${bad} failures`);
        ctx.log(`    ${num(a.rps)} req/s, ${bad} failures; backends drained in ${num(waited)} ms`);
        ctx.records.push(await measure(ctx, { target: e.target, workload: after }, round, n, phase.session));
      }
    }
    recordPeaks(ctx, after.id, phase.list, phase);
  } finally {
    await stopProxies(ctx, phase.list);
  }
}

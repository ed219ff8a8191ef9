// The replay's targets, judged on the results: per incident, switchyard fails the fewest
// requests of all policies, at most half as many as the best baseline, crosses no
// boundary and amplifies retries at most 1.2x; every ablation fails more than switchyard.
// A variant (switchyard with clients that send priorities) is judged on its own: no
// interactive request fails; it takes no part in switchyard's comparisons.
import type { IncidentResult, PolicyResult } from './types.js';

export const MAX_AMPLIFICATION = 1.2;

export interface Verdict {
  readonly incident: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const pct = (p: PolicyResult): string => `${p.failed} (${(100 * p.failedRate).toFixed(2)}%)`;

export function verdicts(inc: IncidentResult): Verdict[] {
  const mine = inc.policies.find((p) => p.kind === 'switchyard');
  const variants = inc.policies.filter((p) => p.kind === 'variant').map((p) => variantVerdict(inc, p));
  return [...(mine === undefined ? [] : compared(inc, mine)), ...variants];
}

/** Switchyard against the baselines and its ablations. */
function compared(inc: IncidentResult, mine: PolicyResult): Verdict[] {
  const others = inc.policies.filter((p) => p.kind === 'baseline' || p.kind === 'ablation');
  const baselines = inc.policies.filter((p) => p.kind === 'baseline');
  const out: Verdict[] = [];
  const v = (target: string, measured: string, met: boolean): void => {
    out.push({ incident: inc.name, target, measured, met });
  };
  if (others.length > 0) {
    const fewest = others.reduce((a, b) => (b.failed < a.failed ? b : a));
    v(
      'switchyard fails the fewest requests of all policies (a tie counts)',
      `switchyard ${pct(mine)}; next fewest: ${fewest.policy} ${pct(fewest)}`,
      mine.failed <= fewest.failed,
    );
  }
  if (baselines.length > 0) {
    const best = baselines.reduce((a, b) => (b.failed < a.failed ? b : a));
    v(
      'at most half as many failures as the best baseline',
      `switchyard ${mine.failed}; best baseline ${best.policy} ${best.failed}`,
      mine.failed <= best.failed / 2,
    );
  }
  v('no boundary violation', `${mine.boundaryViolations}`, mine.boundaryViolations === 0);
  v(
    `retry amplification <= ${MAX_AMPLIFICATION}`,
    `${mine.retryAmplification} (${mine.upstreamAttempts} upstream attempts for ${mine.sent} requests)`,
    mine.retryAmplification <= MAX_AMPLIFICATION,
  );
  for (const a of inc.policies.filter((p) => p.kind === 'ablation')) {
    v(`${a.policy} fails more than switchyard`, `${pct(a)} vs ${pct(mine)}`, a.failed > mine.failed);
  }
  return out;
}

/** A variant's clients send priorities so that the interactive requests get through: none of them fails. */
function variantVerdict(inc: IncidentResult, p: PolicyResult): Verdict {
  const { sentBacklog, failedBacklog, failedInteractive } = p;
  // Results written before the backlog was marked have no figures to judge.
  const measured =
    sentBacklog === undefined || failedBacklog === undefined || failedInteractive === undefined
      ? 'not measured'
      : `interactive ${failedInteractive} of ${p.sent - sentBacklog}; backlog ${failedBacklog} of ${sentBacklog}`;
  return {
    incident: inc.name,
    target: `with ${p.policy}, interactive failures: 0`,
    measured,
    met: failedInteractive === 0,
  };
}

// Envoy's slow-start curve: a recovered region's weight comes back as
// max(min, (t / window) ^ (1 / aggression)), so the backlog does not land at once.
import type { SlowStartConfig } from '../config/types.js';

/**
 * The weight factor in (0, 1] at `elapsedMs` after recovery; 1 once the window is over.
 * windowMs: the ramp's length, slowStart.windowMs unless the outage was shorter.
 */
export function slowStartFactor(elapsedMs: number, config: SlowStartConfig, windowMs = config.windowMs): number {
  if (!config.enabled || elapsedMs >= windowMs) return 1;
  const min = config.minWeightPercent / 100;
  const t = Math.max(0, elapsedMs) / windowMs;
  return Math.max(min, t ** (1 / config.aggression));
}

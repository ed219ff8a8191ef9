// The first incident: a config change the deployed engine version does not support makes
// one model answer 400 (and some 429) in some regions, service-side, while telemetry
// still reports those regions healthy: their capacity is intact, the requests simply fail.
import { BIG_MODEL } from '../fleet.js';
import { NO_400_DETECTION } from '../policies.js';
import type { Incident } from '../types.js';
import { SDK_CLIENTS } from './clients.js';

/** One region per data zone. */
export const MISMATCHED = ['centralus', 'koreacentral', 'uksouth'] as const;
const SHARE_400 = 0.6;
const SHARE_429 = 0.1;

export const ENGINE_MISMATCH: Incident = {
  name: 'engine-mismatch',
  title: `${BIG_MODEL} answers 400 to ${SHARE_400 * 100}% and 429 to ${SHARE_429 * 100}% of its requests in 3 of 7 regions (${MISMATCHED.join(', ')}) for 24 s; telemetry reports them healthy`,
  seconds: 32,
  fault: { startS: 4, endS: 28 },
  load: 0.5,
  client: SDK_CLIENTS,
  events: [
    {
      atS: 4,
      label: `${BIG_MODEL} starts failing in ${MISMATCHED.join(', ')}`,
      control: MISMATCHED.flatMap((r) => [
        `/regions/${r}/fail/400?model=${BIG_MODEL}&fraction=${SHARE_400}`,
        `/regions/${r}/fail/429?model=${BIG_MODEL}&fraction=${SHARE_429}&retryAfter=1`,
      ]),
    },
    { atS: 28, label: 'the engine is fixed', control: MISMATCHED.map((r) => `/regions/${r}/fail/off`) },
  ],
  ablations: [NO_400_DETECTION],
};

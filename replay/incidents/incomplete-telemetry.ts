// The second incident: during a recovery, under high load, the telemetry system fed
// routing incomplete capacity data. Here five of seven regions go blind for 10 s: three
// stop reporting, two keep reporting their last figures with their old timestamp (stale),
// while other tenants' load keeps moving. Then every report comes back.
import { NO_CONSERVATIVE_MODE } from '../policies.js';
import type { Incident } from '../types.js';
import { SDK_CLIENTS } from './clients.js';

export const DROPPED = ['centralus', 'koreacentral', 'norwayeast'] as const;
export const FROZEN = ['australiaeast', 'uksouth'] as const;

export const INCOMPLETE_TELEMETRY: Incident = {
  name: 'incomplete-telemetry',
  title: `at 85% load, telemetry for 5 of 7 regions goes missing (${DROPPED.join(', ')}) or stale (${FROZEN.join(', ')}) for 10 s, then returns`,
  seconds: 22,
  fault: { startS: 4, endS: 14 },
  load: 0.85,
  client: SDK_CLIENTS,
  events: [
    {
      atS: 4,
      label: `telemetry missing for ${DROPPED.join(', ')}; stale for ${FROZEN.join(', ')}`,
      control: [
        ...DROPPED.map((r) => `/regions/${r}/telemetry/drop`),
        ...FROZEN.map((r) => `/regions/${r}/telemetry/freeze`),
      ],
    },
    {
      atS: 14,
      label: 'telemetry complete again',
      control: [...DROPPED, ...FROZEN].map((r) => `/regions/${r}/telemetry/restore`),
    },
  ],
  ablations: [NO_CONSERVATIVE_MODE],
};

// The third incident: a fix released a backlog of blocked workflows at once; their
// automatic retries amplified the surge and were moved from region to region. Here the
// clients' load triples for 6 s, the workflows retry up to five times with the SDK's
// backoff, and one region is already saturated by other tenants.
import { CLIENT_PRIORITIES, NO_ADMISSION, NO_PICK_BY_LOAD, NO_RETRY_BUDGET, NO_SHEDDING } from '../policies.js';
import type { Incident } from '../types.js';
import { WORKFLOW_CLIENTS } from './clients.js';

export const SATURATED = 'swedencentral';
const SATURATED_CAPACITY = 50;
const BACKLOG = { fromS: 4, toS: 10, factor: 3 };
const SATURATION = { fromS: 4, toS: 12 };

export const RETRY_STORM: Incident = {
  name: 'retry-storm',
  title: `a backlog triples the load (40% -> 120% of capacity) for 6 s; clients retry up to 5 times; ${SATURATED} saturated by other tenants for 8 s`,
  seconds: 22,
  fault: { startS: SATURATION.fromS, endS: SATURATION.toS },
  load: 0.4,
  surge: (tS) => (tS >= BACKLOG.fromS && tS < BACKLOG.toS ? BACKLOG.factor : 1),
  client: WORKFLOW_CLIENTS,
  events: [
    { atS: BACKLOG.fromS, label: `backlog released (x${BACKLOG.factor}); ${SATURATED} saturated`, control: [] },
    { atS: BACKLOG.toS, label: 'backlog sent', control: [] },
    { atS: SATURATION.toS, label: `${SATURATED} has room again`, control: [] },
  ],
  background: (region, tS, usual) =>
    region === SATURATED && tS >= SATURATION.fromS && tS < SATURATION.toS ? SATURATED_CAPACITY : usual,
  ablations: [NO_ADMISSION, NO_RETRY_BUDGET, NO_SHEDDING, NO_PICK_BY_LOAD],
  // The backlog marked sheddable: it may wait behind, or be shed for, the interactive requests.
  variants: [CLIENT_PRIORITIES],
};

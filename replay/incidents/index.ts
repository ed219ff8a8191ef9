// Every incident, in the order the replay runs them.
import type { Incident, IncidentName } from '../types.js';
import { ENGINE_MISMATCH } from './engine-mismatch.js';
import { INCOMPLETE_TELEMETRY } from './incomplete-telemetry.js';
import { POWER_LOSS } from './power-loss.js';
import { QUOTA_EXHAUSTION } from './quota-exhaustion.js';
import { RETRY_STORM } from './retry-storm.js';

export const INCIDENTS: readonly Incident[] = [
  ENGINE_MISMATCH,
  INCOMPLETE_TELEMETRY,
  RETRY_STORM,
  POWER_LOSS,
  QUOTA_EXHAUSTION,
];

export const INCIDENT_NAMES: readonly IncidentName[] = INCIDENTS.map((i) => i.name);

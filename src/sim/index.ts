export { startSimFleet } from './fleet.js';
export { DEFAULT_TOKENS } from './options.js';
export type {
  RegionTelemetryMode,
  SimBehaviour,
  SimFleet,
  SimFleetOptions,
  SimRegion,
  SimRegionOptions,
  SimRegionStats,
  SimRequestRecord,
  SimTelemetryControls,
  TelemetryFailMode,
} from './types.js';

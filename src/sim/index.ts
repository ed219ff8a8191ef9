export { CAPACITY_UNITS, type SimCapacityUnit } from './capacity-unit.js';
export { startSimFleet } from './fleet.js';
export { DEFAULT_TOKENS } from './options.js';
export { DEFAULT_QUOTA_WINDOW_MS, type SimQuotaOptions } from './quota.js';
export { chatBodyOfSize, type RequestSize, type RequestSizeOptions, requestSizes } from './request-sizes.js';
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

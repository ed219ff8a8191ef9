// What a simulated region's capacity counts. The router's deployments choose the same
// units, and telemetry (the JSON report, the Prometheus gauges, the load headers) must
// speak the unit of the deployment it describes.
//
//   requests            one request in flight takes one unit (the default)
//   concurrent-tokens   a KV cache: a request in flight holds its prompt tokens plus the
//                       output tokens it asked for, until its answer ends
//   tokens-per-minute   a quota: capacity is TPM, a request is charged on arrival and
//                       admitted by the quota's sub-window (quota.ts); the load is the
//                       tokens charged over the trailing minute

export const CAPACITY_UNITS = ['requests', 'concurrent-tokens', 'tokens-per-minute'] as const;

export type SimCapacityUnit = (typeof CAPACITY_UNITS)[number];

export const DEFAULT_CAPACITY_UNIT: SimCapacityUnit = 'requests';

export function isCapacityUnit(x: unknown): x is SimCapacityUnit {
  return CAPACITY_UNITS.some((u) => u === x);
}

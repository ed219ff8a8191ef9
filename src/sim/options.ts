// Validates fleet options once, at start-up, and fills the defaults, so the request path
// never has to re-check a number. Messages name the key path and what would be right.
import { DEFAULT_CAPACITY_UNIT, isCapacityUnit, type SimCapacityUnit } from './capacity-unit.js';
import { checkQuotaOptions, type SimQuotaOptions } from './quota.js';
import type { SimFleetOptions, SimRegionOptions } from './types.js';

export const DEFAULT_TOKENS = 16;

export interface ResolvedRegionOptions {
  readonly region: string;
  readonly capacityUnit: SimCapacityUnit;
  readonly capacity: number;
  readonly ttftMs: number;
  readonly perTokenMs: number;
  readonly backgroundLoad: number;
  readonly backgroundWavePeriodMs: number | null;
  readonly quota: SimQuotaOptions | null;
  /** A tokens-per-minute region whose quota took its token limit from the capacity: setCapacity moves both. */
  readonly quotaFollowsCapacity: boolean;
}

export interface ResolvedFleetOptions {
  readonly regions: readonly ResolvedRegionOptions[];
  readonly models: readonly string[];
  readonly defaultTokens: number;
  readonly responseBytes: number | null;
  readonly now: () => number;
  readonly deployments: ReadonlyMap<string, string>;
}

export function resolveFleetOptions(opts: SimFleetOptions): ResolvedFleetOptions {
  if (!Array.isArray(opts.regions) || opts.regions.length === 0) {
    throw new TypeError('regions: must be a non-empty array of region options');
  }
  const fleetUnit = opts.capacityUnit ?? DEFAULT_CAPACITY_UNIT;
  if (!isCapacityUnit(fleetUnit)) throw unitError('capacityUnit', fleetUnit);
  const regions = opts.regions.map((r, i) => resolveRegion(r, fleetUnit, `regions[${i}]`));
  assertUnique(
    regions.map((r) => r.region),
    'regions[].region',
  );

  if (!Array.isArray(opts.models) || opts.models.length === 0) {
    throw new TypeError('models: must be a non-empty array of model names');
  }
  opts.models.forEach((m, i) => {
    assertName(m, `models[${i}]`);
  });
  assertUnique(opts.models, 'models');

  const defaultTokens = opts.defaultTokens ?? DEFAULT_TOKENS;
  if (!Number.isInteger(defaultTokens) || defaultTokens < 1) {
    throw new RangeError(`defaultTokens: must be an integer >= 1, got ${String(opts.defaultTokens)}`);
  }
  const responseBytes = opts.responseBytes ?? null;
  if (responseBytes !== null && (!Number.isInteger(responseBytes) || responseBytes < 0)) {
    throw new RangeError(`responseBytes: must be an integer >= 0, got ${String(responseBytes)}`);
  }
  return {
    regions,
    models: [...opts.models],
    defaultTokens,
    responseBytes,
    now: opts.now ?? Date.now,
    deployments: resolveDeployments(opts.deployments),
  };
}

function resolveDeployments(map: SimFleetOptions['deployments']): ReadonlyMap<string, string> {
  if (map === undefined) return new Map();
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new TypeError('deployments: must be an object of deployment name -> model');
  }
  for (const [name, model] of Object.entries(map)) assertName(model, `deployments.${name}`);
  return new Map(Object.entries(map));
}

// Region names travel in a response header and in control URLs: keep them plain.
const REGION_NAME = /^[A-Za-z0-9._-]+$/;

function resolveRegion(r: SimRegionOptions, fleetUnit: SimCapacityUnit, path: string): ResolvedRegionOptions {
  assertName(r.region, `${path}.region`);
  if (!REGION_NAME.test(r.region)) {
    throw new TypeError(`${path}.region: use letters, digits, '.', '_' or '-', got ${JSON.stringify(r.region)}`);
  }
  const period = r.backgroundWavePeriodMs ?? null;
  if (period !== null && !(Number.isFinite(period) && period > 0)) {
    throw new RangeError(`${path}.backgroundWavePeriodMs: must be a finite number > 0, got ${String(period)}`);
  }
  const capacityUnit = r.capacityUnit ?? fleetUnit;
  if (!isCapacityUnit(capacityUnit)) throw unitError(`${path}.capacityUnit`, capacityUnit);
  const capacity = nonNegative(r.capacity, `${path}.capacity`);
  let quota = r.quota === undefined ? null : checkQuotaOptions(r.quota, `${path}.quota`);
  // A tokens-per-minute region admits by its quota: capacity is the token limit unless the quota names its own.
  const quotaFollowsCapacity = capacityUnit === 'tokens-per-minute' && quota?.tokensPerMinute === undefined;
  if (quotaFollowsCapacity) quota = { ...quota, tokensPerMinute: capacity };
  return {
    region: r.region,
    capacityUnit,
    capacity,
    ttftMs: nonNegative(r.ttftMs ?? 0, `${path}.ttftMs`),
    perTokenMs: nonNegative(r.perTokenMs ?? 0, `${path}.perTokenMs`),
    backgroundLoad: nonNegative(r.backgroundLoad ?? 0, `${path}.backgroundLoad`),
    backgroundWavePeriodMs: period,
    quota,
    quotaFollowsCapacity,
  };
}

function unitError(path: string, got: unknown): TypeError {
  return new TypeError(`${path}: must be requests, concurrent-tokens or tokens-per-minute, got ${JSON.stringify(got)}`);
}

export function nonNegative(n: unknown, path: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new RangeError(`${path}: must be a finite number >= 0, got ${String(n)}`);
  }
  return n;
}

// Names end up in URL paths and JSON reports; an empty one would be unaddressable.
function assertName(name: unknown, path: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`${path}: must be a non-empty string, got ${JSON.stringify(name)}`);
  }
}

function assertUnique(names: readonly string[], path: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new TypeError(`${path}: duplicate name ${JSON.stringify(n)}`);
    seen.add(n);
  }
}

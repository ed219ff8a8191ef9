// Zones, backends and deployments: the parts of the config that refer to each other.
// Each reader returns what it could make sense of even when it recorded problems, so
// that later sections are checked against it instead of drowning in follow-up errors.

import type { BackendConfig, DeploymentConfig, DeploymentType } from './types.js';
import { readDeploymentNames, readHeaders, readTls, type SettingsContext } from './validate-backend-settings.js';
import {
  type Check,
  type Mapping,
  type Problems,
  describe,
  indexPath,
  isRecord,
  keyPath,
  listOf,
  nonEmptyText,
  oneOf,
  origin,
  quote,
  readMapping,
  readRequired,
} from './validate-fields.js';

export interface Zones {
  /** Zone -> its valid regions, in file order. */
  readonly regionsOf: ReadonlyMap<string, readonly string[]>;
  readonly zoneOf: ReadonlyMap<string, string>;
}

const ZONES_EXAMPLE = 'e.g. us: [eastus2, centralus]';

export function readZones(problems: Problems, root: Mapping): Zones | undefined {
  const path = keyPath(root.path, 'zones');
  const raw = root.entries.get('zones');
  if (raw === undefined) {
    problems.add(path, 'missing', `required: a mapping of data zone -> its regions, ${ZONES_EXAMPLE}`);
    return undefined;
  }
  if (!isRecord(raw)) {
    problems.add(path, `got ${describe(raw)}`, `expected a mapping of data zone -> its regions, ${ZONES_EXAMPLE}`);
    return undefined;
  }
  const entries = Object.entries(raw);
  if (entries.length === 0) problems.add(path, 'no data zones', `at least one, ${ZONES_EXAMPLE}`);

  const regionsOf = new Map<string, string[]>();
  const seenAt = new Map<string, { zone: string; path: string }>();
  for (const [zone, list] of entries) {
    const zonePath = keyPath(path, zone);
    const regions: string[] = [];
    if (zone.trim() === '') problems.add(zonePath, 'empty data zone name', 'a non-empty name');
    else regionsOf.set(zone, regions);
    if (!Array.isArray(list)) {
      problems.add(zonePath, `got ${describe(list)}`, 'expected a list of region names');
      continue;
    }
    if (list.length === 0) problems.add(zonePath, 'no regions', 'at least one region name');
    list.forEach((region: unknown, index) => {
      const regionPath = indexPath(zonePath, index);
      if (typeof region !== 'string' || region.trim() === '') {
        problems.add(regionPath, `got ${describe(region)}`, 'expected a non-empty region name');
        return;
      }
      const earlier = seenAt.get(region);
      if (earlier === undefined) {
        seenAt.set(region, { zone, path: regionPath });
        regions.push(region);
      } else if (earlier.zone === zone) {
        problems.add(regionPath, `duplicate region ${quote(region)}`, `already at ${earlier.path}; list it once`);
      } else {
        problems.add(
          regionPath,
          `region ${quote(region)} is already in data zone ${quote(earlier.zone)} at ${earlier.path}`,
          'a region belongs to at most one data zone',
        );
      }
    });
  }
  const zoneOf = new Map([...seenAt].map(([region, { zone }]) => [region, zone]));
  return { regionsOf, zoneOf };
}

export interface Backends {
  readonly list: readonly BackendConfig[];
  /** The key path of each entry of list, for checks made once the deployments are known. */
  readonly paths: readonly string[];
  /** Every region named by a backend entry, valid or not, so a bad URL does not also orphan its region. */
  readonly regions: ReadonlySet<string>;
}

const regionName = nonEmptyText('a region name declared under zones');

const BACKEND_KEYS = ['deploymentNames', 'headers', 'region', 'tls', 'url'];

export function readBackends(
  problems: Problems,
  root: Mapping,
  zones: Zones | undefined,
  context: SettingsContext,
): Backends | undefined {
  const path = keyPath(root.path, 'backends');
  const raw = root.entries.get('backends');
  const expected = 'a list of { region, url[, headers, deploymentNames, tls] }, at least one';
  if (raw === undefined || !Array.isArray(raw)) {
    problems.add(path, raw === undefined ? 'missing' : `got ${describe(raw)}`, `required: ${expected}`);
    return undefined;
  }
  if (raw.length === 0) problems.add(path, 'empty list', `required: ${expected}`);

  const list: BackendConfig[] = [];
  const paths: string[] = [];
  const regions = new Set<string>();
  const seenAt = new Map<string, string>();
  raw.forEach((entry: unknown, index) => {
    const m = readMapping(problems, indexPath(path, index), entry, BACKEND_KEYS);
    if (m === undefined) return;
    const region = readRequired(problems, m, 'region', regionName);
    if (region !== undefined) {
      regions.add(region);
      if (zones !== undefined && !zones.zoneOf.has(region)) {
        problems.add(
          keyPath(m.path, 'region'),
          `region ${quote(region)} is not in any data zone`,
          `known regions: ${listOf(zones.zoneOf.keys())}; declare it under zones`,
        );
      }
    }
    const url = readRequired(problems, m, 'url', origin);
    const headers = readHeaders(problems, m, context.env);
    const deploymentNames = readDeploymentNames(problems, m);
    const tls = readTls(problems, m, url, context);
    if (region === undefined || url === undefined) return;
    // JSON keeps the two parts apart whatever characters they contain.
    const pair = JSON.stringify([region, url]);
    const earlier = seenAt.get(pair);
    if (earlier !== undefined) {
      problems.add(m.path, 'duplicate backend', `same region and url as ${earlier}; list each once`);
      return;
    }
    seenAt.set(pair, m.path);
    if (headers === undefined || deploymentNames === undefined || tls === undefined) return;
    list.push({ region, url, headers, deploymentNames, tls });
    paths.push(m.path);
  });
  return { list, paths, regions };
}

const DEPLOYMENT_TYPES: Readonly<Record<DeploymentType, true>> = { global: true, datazone: true, regional: true };

const DEPLOYMENT_KEYS = ['model', 'name', 'region', 'type', 'zone'];

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

// The name is a URL path segment, where "." and ".." would be resolved away by clients.
const deploymentName: Check<string> = {
  expected: 'letters, digits, ".", "_" or "-", e.g. "chat-eu"; it is used in URL paths',
  parse: (value) => {
    if (typeof value !== 'string' || !NAME_PATTERN.test(value)) return { wrong: `got ${describe(value)}` };
    if (value === '.' || value === '..') return { wrong: `${quote(value)} cannot be a URL path segment` };
    return { value };
  },
};
const modelName = nonEmptyText('a non-empty model name, e.g. "gpt-5.2"');
const deploymentType = oneOf(DEPLOYMENT_TYPES, 'deployment type');

interface Context {
  readonly zones: Zones | undefined;
  readonly backends: Backends | undefined;
}

export function readDeployments(problems: Problems, root: Mapping, context: Context): DeploymentConfig[] | undefined {
  const path = keyPath(root.path, 'deployments');
  const raw = root.entries.get('deployments');
  const expected = 'a list of { name, model, type[, zone | region] }, at least one';
  if (raw === undefined || !Array.isArray(raw)) {
    problems.add(path, raw === undefined ? 'missing' : `got ${describe(raw)}`, `required: ${expected}`);
    return undefined;
  }
  if (raw.length === 0) problems.add(path, 'empty list', `required: ${expected}`);

  const deployments: DeploymentConfig[] = [];
  const nameAt = new Map<string, string>();
  raw.forEach((entry: unknown, index) => {
    const m = readMapping(problems, indexPath(path, index), entry, DEPLOYMENT_KEYS);
    if (m === undefined) return;
    const name = readRequired(problems, m, 'name', deploymentName);
    const model = readRequired(problems, m, 'model', modelName);
    const type = readRequired(problems, m, 'type', deploymentType);
    if (name !== undefined) {
      const earlier = nameAt.get(name);
      if (earlier === undefined) {
        nameAt.set(name, m.path);
      } else {
        problems.add(
          keyPath(m.path, 'name'),
          `duplicate deployment name ${quote(name)}`,
          `already used by ${earlier}; names must be unique`,
        );
      }
    }
    const placement = readPlacement(problems, m, type, context);
    if (name === undefined || model === undefined || type === undefined || placement === undefined) return;
    deployments.push({ name, model, type, ...placement });
  });
  return deployments;
}

type Placement = Pick<DeploymentConfig, 'zone' | 'region'>;

function readPlacement(
  problems: Problems,
  m: Mapping,
  type: DeploymentType | undefined,
  context: Context,
): Placement | undefined {
  rejectUnlessOwner(problems, m, 'zone', type, 'datazone');
  rejectUnlessOwner(problems, m, 'region', type, 'regional');
  switch (type) {
    case 'datazone':
      return readZonePlacement(problems, m, context);
    case 'regional':
      return readRegionPlacement(problems, m, context);
    case 'global':
      return { zone: null, region: null };
    default:
      return undefined;
  }
}

function rejectUnlessOwner(
  problems: Problems,
  m: Mapping,
  key: 'zone' | 'region',
  type: DeploymentType | undefined,
  owner: DeploymentType,
): void {
  if (type === undefined || type === owner || !m.entries.has(key)) return;
  problems.add(
    keyPath(m.path, key),
    `a ${type} deployment takes no ${key}`,
    `only type ${owner} has one; remove it or set type: ${owner}`,
  );
}

function readZonePlacement(problems: Problems, m: Mapping, { zones, backends }: Context): Placement | undefined {
  const known = listOf(zones?.regionsOf.keys() ?? []);
  const check = nonEmptyText(`the data zone of a datazone deployment, one of: ${known}`);
  const zone = readRequired(problems, m, 'zone', check);
  if (zone === undefined || zones === undefined) return undefined;
  const path = keyPath(m.path, 'zone');
  const regions = zones.regionsOf.get(zone);
  if (regions === undefined) {
    problems.add(path, `unknown data zone ${quote(zone)}`, `known: ${known}`);
  } else if (backends !== undefined && !regions.some((region) => backends.regions.has(region))) {
    problems.add(
      path,
      `data zone ${quote(zone)} has no region with a backend`,
      `its regions: ${listOf(regions)}; regions with a backend: ${listOf(backends.regions)}`,
    );
  }
  return { zone, region: null };
}

function readRegionPlacement(problems: Problems, m: Mapping, { backends }: Context): Placement | undefined {
  const withBackend = `regions with a backend: ${listOf(backends?.regions ?? [])}`;
  const check = nonEmptyText(`the region of a regional deployment; ${withBackend}`);
  const region = readRequired(problems, m, 'region', check);
  if (region === undefined) return undefined;
  if (backends !== undefined && !backends.regions.has(region)) {
    problems.add(keyPath(m.path, 'region'), `region ${quote(region)} has no backend`, withBackend);
  }
  return { zone: null, region };
}

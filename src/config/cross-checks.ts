// Checks that relate keys to each other. They run on whatever the schema could make sense
// of, even when it found problems elsewhere, so that every problem is listed at once while
// one broken part (zones that are not a mapping, say) does not drown the rest in
// follow-up problems.
import { SOURCES } from './schema.js';
import { describe, isRecord, listOf, pathText, quote } from './wording.js';

export type Path = readonly PropertyKey[];

export interface Problem {
  readonly path: Path;
  readonly message: string;
  /** Listed after every problem of this part of the file (where it was found), not at `path`. */
  readonly after?: Path;
  /** Listed where a problem at this path would be, ahead of it. */
  readonly before?: Path;
}

/** The config as far as the schema accepted it. */
export interface Parsed {
  /** The value at `path` once the schema accepted it and what holds it (a default included), else undefined. */
  at<T>(...path: PropertyKey[]): T | undefined;
  /** Whether the schema accepted everything at and under `path`. */
  whole(...path: PropertyKey[]): boolean;
  /** The value at `path` as the file has it; null counts as absent. */
  input(...path: PropertyKey[]): unknown;
}

export function crossCheck(parsed: Parsed): Problem[] {
  return new CrossCheck(parsed).problems;
}

class CrossCheck {
  readonly problems: Problem[] = [];
  /** Zone -> its valid regions, when zones is a mapping. */
  private readonly regionsOf?: Map<string, string[]>;
  private readonly zoneOf = new Map<string, { zone: string; path: string }>();
  /** Every region a backend names, valid or not, so a bad URL does not also orphan its region. */
  private readonly withBackend?: Set<string>;
  /** The entirely valid backends (by index), and their regions. */
  private readonly valid: number[] = [];
  private readonly listed = new Set<string>();

  constructor(private readonly parsed: Parsed) {
    const { at, input } = parsed;
    this.listenersDiffer();
    const zones = at<Record<string, unknown>>('zones');
    if (zones !== undefined) this.regionsOf = this.readZones(zones);
    const backends = at<unknown[]>('backends');
    if (backends !== undefined) this.withBackend = this.readBackends(backends);
    for (let i = 0; i < (at<unknown[]>('deployments')?.length ?? 0); i++) this.deployment(i);
    this.renamedDeployments();
    this.capacityUnits();
    this.defaultDeployment();
    if (isRecord(input('telemetry'))) this.telemetry();
    this.atMost('outlier', 'baseEjectionMs', 'maxEjectionMs');
    this.atMost('retry', 'backoffBaseMs', 'backoffMaxMs');
    for (const region of Object.keys((backends && at<object>('routing', 'staticWeights')) ?? {})) {
      const known = `known: ${[...this.listed].sort().join(', ')}`;
      if (!this.listed.has(region))
        this.add(['routing', 'staticWeights', region], 'not a region with a backend', known, { after: ['routing'] });
    }
  }

  private add(path: Path, wrong: string, right: string, place: Pick<Problem, 'after' | 'before'> = {}): void {
    this.problems.push({ path, message: `${wrong} (${right})`, ...place });
  }

  private listenersDiffer(): void {
    const { at, input } = this.parsed;
    const [host, port, adminHost, adminPort] = [
      at<string>('listen', 'host'),
      at('listen', 'port'),
      at<string>('admin', 'host'),
      at('admin', 'port'),
    ];
    if (host === undefined || adminHost === undefined || port === undefined || port === 0 || port !== adminPort) return;
    if (host.toLowerCase() !== adminHost.toLowerCase()) return;
    // Blame the side the file actually set: the other one may be a default.
    const [blamed, peer] = input('admin', 'port') === undefined ? ['listen', 'admin'] : ['admin', 'listen'];
    const right = 'listen and admin need different ports, or port 0 for any free port';
    this.add([blamed, 'port'], `${host}:${port} is also the ${peer} address`, right, { after: ['admin'] });
  }

  private readZones(zones: Record<string, unknown>): Map<string, string[]> {
    const regionsOf = new Map<string, string[]>();
    for (const [zone, list] of Object.entries(zones)) {
      // A zone with a usable name is known even when its list is not: deployments may name it.
      if (/\S/.test(zone)) regionsOf.set(zone, []);
      else this.add(['zones', zone], 'empty data zone name', 'a non-empty name');
      for (let i = 0; Array.isArray(list) && i < list.length; i++) {
        const region = this.parsed.at<string>('zones', zone, i);
        const earlier = region === undefined ? undefined : this.zoneOf.get(region);
        const path = ['zones', zone, i];
        if (region !== undefined && earlier === undefined) {
          this.zoneOf.set(region, { zone, path: pathText(path) });
          regionsOf.get(zone)?.push(region);
        } else if (region !== undefined && earlier?.zone === zone) {
          this.add(path, `duplicate region ${quote(region)}`, `already at ${earlier.path}; list it once`);
        } else if (region !== undefined && earlier !== undefined) {
          const wrong = `region ${quote(region)} is already in data zone ${quote(earlier.zone)} at ${earlier.path}`;
          this.add(path, wrong, 'a region belongs to at most one data zone');
        }
      }
    }
    return regionsOf;
  }

  private readBackends(backends: unknown[]): Set<string> {
    const { at, input, whole } = this.parsed;
    const regions = new Set<string>();
    const seenAt = new Map<string, string>();
    backends.forEach((_, i) => {
      const [region, url] = [at<string>('backends', i, 'region'), at<string>('backends', i, 'url')];
      if (region !== undefined) regions.add(region);
      if (region !== undefined && this.regionsOf !== undefined && !this.zoneOf.has(region)) {
        const right = `known regions: ${listOf(this.zoneOf.keys())}; declare it under zones`;
        this.add(['backends', i, 'region'], `region ${quote(region)} is not in any data zone`, right);
      }
      const httpTls = url?.startsWith('http:') === true && isRecord(input('backends', i, 'tls'));
      if (httpTls) {
        const before = ['backends', i, 'tls', 'caFile'];
        this.add(['backends', i, 'tls'], 'set on an http backend', 'an https url, or no tls', { before });
      }
      if (region === undefined || url === undefined) return;
      // JSON keeps the two parts apart whatever characters they contain.
      const pair = JSON.stringify([region, url]);
      const earlier = seenAt.get(pair);
      const right = `same region and url as ${earlier}; list each once`;
      if (earlier !== undefined) this.add(['backends', i], 'duplicate backend', right, { after: ['backends', i] });
      else seenAt.set(pair, pathText(['backends', i]));
      if (earlier !== undefined || httpTls || !whole('backends', i)) return;
      this.valid.push(i);
      this.listed.add(region);
    });
    return regions;
  }

  private readonly nameAt = new Map<string, string>();

  // Problems are listed once the deployment's type has been read, as they depend on it.
  private deployment(i: number): void {
    const { at, input } = this.parsed;
    const [path, name, type] = [
      ['deployments', i],
      at<string>('deployments', i, 'name'),
      at<string>('deployments', i, 'type'),
    ];
    const say = (key: string, wrong: string, right: string) =>
      this.add([...path, key], wrong, right, { after: [...path, 'type'] });
    const earlier = name === undefined ? undefined : this.nameAt.get(name);
    if (name !== undefined && earlier !== undefined) {
      say('name', `duplicate deployment name ${quote(name)}`, `already used by ${earlier}; names must be unique`);
    } else if (name !== undefined) this.nameAt.set(name, pathText(path));
    // The schema only types a zone and a region: what is right for them depends on the type.
    for (const [key, owner] of Object.entries({ zone: 'datazone', region: 'regional' })) {
      if (type === undefined || type === owner || input(...path, key) === undefined) continue;
      say(key, `a ${type} deployment takes no ${key}`, `only type ${owner} has one; remove it or set type: ${owner}`);
    }
    /** The zone or region the file names, if it names one. */
    const named = (key: string, expected: string): string | undefined => {
      const value = input(...path, key);
      if (typeof value === 'string' && /\S/.test(value)) return value;
      if (value === undefined) say(key, 'missing', `required: ${expected}`);
      else say(key, `got ${describe(value)}`, `expected ${expected}`);
    };
    const withBackend = `regions with a backend: ${listOf(this.withBackend ?? [])}`;
    if (type === 'datazone') {
      const known = listOf(this.regionsOf?.keys() ?? []);
      const zone = named('zone', `the data zone of a datazone deployment, one of: ${known}`);
      const regions = zone === undefined ? undefined : this.regionsOf?.get(zone);
      if (zone === undefined || this.regionsOf === undefined) return;
      if (regions === undefined) say('zone', `unknown data zone ${quote(zone)}`, `known: ${known}`);
      else if (this.withBackend !== undefined && !regions.some((region) => this.withBackend?.has(region))) {
        const right = `its regions: ${listOf(regions)}; ${withBackend}`;
        say('zone', `data zone ${quote(zone)} has no region with a backend`, right);
      }
    } else if (type === 'regional') {
      const region = named('region', `the region of a regional deployment; ${withBackend}`);
      if (region !== undefined && this.withBackend !== undefined && !this.withBackend.has(region)) {
        say('region', `region ${quote(region)} has no backend`, withBackend);
      }
    }
  }

  /**
   * Deployments of one model read the same telemetry (a report is per region and model)
   * and share the router's count of its load there, so they count in one unit.
   */
  private capacityUnits(): void {
    const { at } = this.parsed;
    const fallback = at<string>('routing', 'capacityUnit');
    const first = new Map<string, { unit: string; path: string }>();
    for (let i = 0; i < (at<unknown[]>('deployments')?.length ?? 0); i++) {
      const model = at<string>('deployments', i, 'model');
      const unit = at<string | null>('deployments', i, 'capacityUnit') ?? fallback;
      if (model === undefined || unit === undefined) continue;
      const path = ['deployments', i, 'capacityUnit'];
      const earlier = first.get(model);
      if (earlier === undefined) first.set(model, { unit, path: pathText(['deployments', i]) });
      else if (earlier.unit !== unit) {
        const right = `${earlier.path} counts model ${quote(model)} in ${earlier.unit}; deployments of one model share a unit`;
        this.add(path, `capacity unit ${unit}`, right);
      }
    }
  }

  /** Every key of a valid backend's deploymentNames is a deployment the file names (valid or not). */
  private renamedDeployments(): void {
    const { at, input } = this.parsed;
    const entries = input('deployments');
    const names = new Set<string>();
    for (const entry of Array.isArray(entries) ? entries : []) {
      if (isRecord(entry) && typeof entry.name === 'string') names.add(entry.name);
    }
    for (const i of this.valid) {
      for (const name of Object.keys(at<object>('backends', i, 'deploymentNames') ?? {})) {
        if (names.has(name)) continue;
        const path = ['backends', i, 'deploymentNames', name];
        this.add(path, `no deployment ${quote(name)}`, `known: ${listOf(names)}`, { after: ['deployments'] });
      }
    }
  }

  /** affinity.defaultDeployment names a deployment of the file. */
  private defaultDeployment(): void {
    const { at, input } = this.parsed;
    const name = at<string | null>('affinity', 'defaultDeployment');
    if (name === undefined || name === null) return;
    const entries = input('deployments');
    const names = new Set<string>();
    for (const entry of Array.isArray(entries) ? entries : []) {
      if (isRecord(entry) && typeof entry.name === 'string') names.add(entry.name);
    }
    if (names.has(name)) return;
    this.add(['affinity', 'defaultDeployment'], `no deployment ${quote(name)}`, `known: ${listOf(names)}`, {
      after: ['deployments'],
    });
  }

  private telemetry(): void {
    const { at, input } = this.parsed;
    const [interval, timeout, stale] = ['intervalMs', 'timeoutMs', 'staleAfterMs'].map((key) =>
      at<number>('telemetry', key),
    );
    const given = (key: string) => input('telemetry', key) !== undefined;
    const own = (key: string, value: number) => (given(key) ? String(value) : `the default ${value}`);
    const other = (key: string, value: number) => `${given(key) ? '' : 'the default '}telemetry.${key} ${value}`;
    const after = { after: ['telemetry'] };
    if (stale !== undefined && interval !== undefined && stale < interval) {
      const wrong = `${own('staleAfterMs', stale)} is shorter than ${other('intervalMs', interval)}`;
      this.add(
        ['telemetry', 'staleAfterMs'],
        wrong,
        `at least ${interval}, or every report goes stale between two polls`,
        after,
      );
    }
    if (stale !== undefined && timeout !== undefined && timeout > stale) {
      const wrong = `${own('timeoutMs', timeout)} is longer than ${other('staleAfterMs', stale)}`;
      const right = `at most ${stale}, so that a hung poll is given up before the data it would refresh goes stale`;
      this.add(['telemetry', 'timeoutMs'], wrong, right, after);
    }
    // A router without a source routes conservatively forever: a config mistake, not a mode.
    // In-band headers count only when the file switches them on itself.
    if (!given('url') && !given('prometheus') && !(given('inBand') && at('telemetry', 'inBand') === true)) {
      const wrong = given('inBand')
        ? 'no load source: inBand is false and neither url nor prometheus is set'
        : 'no load source';
      this.add(['telemetry'], wrong, `set ${SOURCES}`, after);
    }
    const [region, model] = ['regionLabel', 'modelLabel'].map((key) => at<string>('telemetry', 'prometheus', key));
    if (region !== undefined && region === model) {
      const right = 'two different labels: one names the region, the other the model';
      this.add(['telemetry', 'prometheus', 'modelLabel'], `is the same label as regionLabel (${quote(region)})`, right);
    }
  }

  /** A duration that bounds another from above (a base and its maximum). */
  private atMost(section: string, low: string, high: string): void {
    const [lowValue, highValue] = [this.parsed.at<number>(section, low), this.parsed.at<number>(section, high)];
    if (lowValue === undefined || highValue === undefined || highValue >= lowValue) return;
    const wrong = `${highValue} is shorter than ${section}.${low} ${lowValue}`;
    this.add([section, high], wrong, `at least ${lowValue}`, { after: [section] });
  }
}

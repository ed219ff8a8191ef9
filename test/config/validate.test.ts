import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_ADMIN,
  DEFAULT_CONSERVATIVE,
  DEFAULT_COOLDOWN,
  DEFAULT_QUOTA,
  DEFAULT_ROUTING,
  DEFAULT_TOKENS,
  DEFAULT_OUTLIER,
  DEFAULT_RETRY,
  DEFAULT_SHEDDING,
  DEFAULT_SLOW_START,
  DEFAULT_ADMISSION,
  DEFAULT_AFFINITY,
  DEFAULT_LIMITS,
  DEFAULT_LISTEN,
  DEFAULT_LOG,
  DEFAULT_SHUTDOWN,
  DEFAULT_TELEMETRY,
  DEFAULT_UPSTREAM,
} from '../../src/config/defaults.js';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';
import { contractExample as example } from '../helpers/config-fixtures.js';

/** Only what has no default. */
function minimal() {
  const { zones, backends, deployments } = example();
  return { zones, backends, deployments, telemetry: { url: 'http://127.0.0.1:9100/telemetry' } };
}

type Env = Record<string, string | undefined>;

function accepted(raw: unknown, env?: Env): Config {
  const result = validateConfig(raw, env);
  if (!result.ok) assert.fail(`expected the config to be accepted, got:\n${result.errors.join('\n')}`);
  return result.config;
}

function rejected(raw: unknown, env?: Env): string[] {
  const result = validateConfig(raw, env);
  if (result.ok) assert.fail('expected the config to be rejected');
  return result.errors;
}

function assertErrors(raw: unknown, expected: string[]): void {
  assert.deepEqual(rejected(raw), expected);
}

/** For messages whose tail is incidental: the problem at `path` mentions every fragment. */
function assertErrorAt(raw: unknown, path: string, ...fragments: string[]): void {
  const errors = rejected(raw);
  const atPath = errors.filter((error) => error.startsWith(`${path}: `));
  assert.equal(atPath.length, 1, `expected one problem at ${path}, got:\n${errors.join('\n')}`);
  for (const fragment of fragments) assert.ok(atPath[0]?.includes(fragment), `${atPath[0]} lacks ${fragment}`);
}

describe('a valid config', () => {
  test('the contract example is accepted with every default filled in', () => {
    const config = accepted(example());
    assert.deepEqual(config, {
      listen: { host: '127.0.0.1', port: 8080 },
      admin: { host: '127.0.0.1', port: 8081, token: null },
      zones: { us: ['eastus2', 'centralus'], eu: ['swedencentral', 'norwayeast'] },
      backends: [
        { region: 'eastus2', url: 'http://127.0.0.1:9001', headers: {}, deploymentNames: {}, tls: null },
        { region: 'swedencentral', url: 'http://127.0.0.1:9002', headers: {}, deploymentNames: {}, tls: null },
      ],
      deployments: [
        {
          name: 'chat-global',
          model: 'gpt-5.2',
          type: 'global',
          zone: null,
          region: null,
          admission: null,
          capacityUnit: null,
        },
        {
          name: 'chat-eu',
          model: 'gpt-5.2',
          type: 'datazone',
          zone: 'eu',
          region: null,
          admission: null,
          capacityUnit: null,
        },
        {
          name: 'chat-east',
          model: 'gpt-5.2',
          type: 'regional',
          zone: null,
          region: 'eastus2',
          admission: null,
          capacityUnit: null,
        },
      ],
      telemetry: {
        url: 'http://127.0.0.1:9100/telemetry',
        prometheus: null,
        inBand: true,
        intervalMs: 500,
        timeoutMs: 1000,
        staleAfterMs: 3000,
        minCoverage: 0.75,
        estimateMaxAgeMs: 30000,
        maxBodyBytes: 1048576,
      },
      conservative: { maxShareFactor: 1.5, passiveCapacity: true },
      limits: { maxBodyBytes: 16777216, requestBodyTimeoutMs: 30000, clientReadTimeoutMs: 60000 },
      upstream: {
        connectTimeoutMs: 2000,
        headersTimeoutMs: 60000,
        bodyTimeoutMs: 60000,
        keepAliveTimeoutMs: 10000,
        maxConnectionsPerBackend: 0,
      },
      shutdown: { drainMs: 8000 },
      log: { level: 'info', requests: false },
      outlier: DEFAULT_OUTLIER,
      retry: DEFAULT_RETRY,
      cooldown: DEFAULT_COOLDOWN,
      quota: DEFAULT_QUOTA,
      tokens: DEFAULT_TOKENS,
      routing: DEFAULT_ROUTING,
      shedding: DEFAULT_SHEDDING,
      affinity: DEFAULT_AFFINITY,
      slowStart: DEFAULT_SLOW_START,
      admission: DEFAULT_ADMISSION,
    });
  });

  test('omitted optional sections take the DEFAULT_* values', () => {
    const config = accepted(minimal());
    assert.deepEqual(config.listen, DEFAULT_LISTEN);
    assert.deepEqual(config.admin, DEFAULT_ADMIN);
    assert.deepEqual(config.telemetry, { url: 'http://127.0.0.1:9100/telemetry', ...DEFAULT_TELEMETRY });
    assert.deepEqual(config.conservative, DEFAULT_CONSERVATIVE);
    assert.deepEqual(config.limits, DEFAULT_LIMITS);
    assert.deepEqual(config.upstream, DEFAULT_UPSTREAM);
    assert.deepEqual(config.shutdown, DEFAULT_SHUTDOWN);
    assert.deepEqual(config.log, DEFAULT_LOG);
  });

  test('a section or key left empty (YAML null) takes its default', () => {
    const config = accepted({ ...minimal(), upstream: null, listen: { host: null, port: 9000 } });
    assert.deepEqual(config.upstream, DEFAULT_UPSTREAM);
    assert.deepEqual(config.listen, { host: DEFAULT_LISTEN.host, port: 9000 });
  });

  test('the returned config is deeply frozen', () => {
    const config = accepted(example());
    for (const part of [
      config,
      config.listen,
      config.zones,
      config.zones.us,
      config.backends,
      config.backends[0],
      config.deployments,
      config.deployments[1],
      config.telemetry,
      config.upstream,
      config.log,
    ]) {
      assert.ok(Object.isFrozen(part));
    }
    assert.throws(() => {
      (config.telemetry as { intervalMs: number }).intervalMs = 1;
    }, TypeError);
  });

  test('backend URLs are normalised to their origin without a trailing slash', () => {
    const config = accepted({
      ...minimal(),
      backends: [
        { region: 'eastus2', url: 'http://LOCALHOST:9001/' },
        { region: 'swedencentral', url: 'https://inference.example.com:443' },
        { region: 'centralus', url: 'http://[::1]:80' },
      ],
    });
    assert.deepEqual(
      config.backends.map((backend) => backend.url),
      ['http://localhost:9001', 'https://inference.example.com', 'http://[::1]'],
    );
  });

  test('the boundary values of each range are accepted', () => {
    const config = accepted({
      ...minimal(),
      listen: { port: 0 },
      admin: { port: 65535 },
      telemetry: { url: 'https://t.example/x?y=1', intervalMs: 1, staleAfterMs: 1, timeoutMs: 1, minCoverage: 0 },
      conservative: { maxShareFactor: 1 },
      limits: { maxBodyBytes: 1 },
      upstream: { maxConnectionsPerBackend: 0, bodyTimeoutMs: 2147483647 },
    });
    assert.equal(config.telemetry.minCoverage, 0);
    assert.equal(accepted({ ...minimal(), telemetry: { url: 'http://t/', minCoverage: 1 } }).telemetry.minCoverage, 1);
  });

  test('every log level is accepted', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      assert.equal(accepted({ ...minimal(), log: { level } }).log.level, level);
    }
  });
});

describe('structure', () => {
  test('a document that is not a mapping is rejected at the root', () => {
    assertErrorAt(['listen'], '(root)', 'got a list', 'zones');
  });

  test('an unknown top-level key is named with the known keys', () => {
    assertErrors({ ...example(), zone: {} }, [
      'zone: unknown key (known: admin, admission, affinity, backends, conservative, cooldown, deployments, limits, listen, log, outlier, quota, retry, routing, shedding, shutdown, slowStart, telemetry, tokens, upstream, zones)',
    ]);
  });

  test('a mistyped nested key is an unknown key, not silently ignored', () => {
    assertErrors({ ...example(), telemetry: { ...example().telemetry, intervalMS: 500 } }, [
      'telemetry.intervalMS: unknown key (known: estimateMaxAgeMs, inBand, intervalMs, maxBodyBytes, minCoverage, prometheus, staleAfterMs, timeoutMs, url)',
    ]);
  });

  test('unknown keys inside list items are named with their index', () => {
    assertErrors(
      {
        ...example(),
        backends: [
          { region: 'eastus2', url: 'http://a:1', weight: 2 },
          { region: 'swedencentral', url: 'http://127.0.0.1:9002' },
        ],
      },
      ['backends[0].weight: unknown key (known: deploymentNames, headers, region, tls, url)'],
    );
  });

  test('a section that is not a mapping is rejected', () => {
    assertErrorAt({ ...example(), limits: 5 }, 'limits', 'got 5', 'maxBodyBytes');
  });
});

describe('scalar fields', () => {
  test('ports must be integers from 0 to 65535', () => {
    assertErrors({ ...example(), listen: { port: 70000 }, admin: { port: '8081' } }, [
      'listen.port: got 70000 (expected an integer from 0 to 65535; 0 means any free port)',
      'admin.port: got "8081" (expected an integer from 0 to 65535; 0 means any free port)',
    ]);
    assertErrorAt({ ...example(), listen: { port: 80.5 } }, 'listen.port', 'got 80.5');
    assertErrorAt({ ...example(), admin: { port: -1 } }, 'admin.port', 'got -1');
  });

  test('a host must be a non-empty string', () => {
    assertErrorAt({ ...example(), listen: { host: '' } }, 'listen.host', 'got ""', 'non-empty');
    assertErrorAt({ ...example(), admin: { host: 127 } }, 'admin.host', 'got 127');
  });

  test('durations must be positive integers of milliseconds', () => {
    assertErrors(
      {
        ...example(),
        telemetry: { ...example().telemetry, estimateMaxAgeMs: 0 },
        upstream: { connectTimeoutMs: -5, headersTimeoutMs: 1.5, bodyTimeoutMs: '60s', keepAliveTimeoutMs: 2147483648 },
        shutdown: { drainMs: true },
      },
      [
        'telemetry.estimateMaxAgeMs: got 0 (expected a positive integer number of milliseconds, at most 2147483647)',
        'upstream.connectTimeoutMs: got -5 (expected a positive integer number of milliseconds, at most 2147483647)',
        'upstream.headersTimeoutMs: got 1.5 (expected a positive integer number of milliseconds, at most 2147483647)',
        'upstream.bodyTimeoutMs: got "60s" (expected a positive integer number of milliseconds, at most 2147483647)',
        'upstream.keepAliveTimeoutMs: got 2147483648 (expected a positive integer number of milliseconds, at most 2147483647)',
        'shutdown.drainMs: got true (expected a positive integer number of milliseconds, at most 2147483647)',
      ],
    );
  });

  test('minCoverage must be a number from 0 to 1', () => {
    assertErrors({ ...example(), telemetry: { ...example().telemetry, minCoverage: 1.5 } }, [
      'telemetry.minCoverage: got 1.5 (expected a number from 0 to 1)',
    ]);
    assertErrorAt(
      { ...example(), telemetry: { ...example().telemetry, minCoverage: '75%' } },
      'telemetry.minCoverage',
      'got "75%"',
    );
  });

  test('maxShareFactor must be a finite number of at least 1', () => {
    assertErrors({ ...example(), conservative: { maxShareFactor: 0.9 } }, [
      'conservative.maxShareFactor: got 0.9 (expected a number >= 1)',
    ]);
    assertErrorAt(
      { ...example(), conservative: { maxShareFactor: Infinity } },
      'conservative.maxShareFactor',
      'got Infinity',
    );
  });

  test('maxBodyBytes must be a positive integer', () => {
    assertErrors({ ...example(), limits: { maxBodyBytes: 0 } }, [
      'limits.maxBodyBytes: got 0 (expected a positive integer number of bytes)',
    ]);
    assertErrorAt({ ...example(), limits: { maxBodyBytes: 10.5 } }, 'limits.maxBodyBytes', 'got 10.5');
    assertErrors({ ...example(), telemetry: { ...example().telemetry, maxBodyBytes: -1 } }, [
      'telemetry.maxBodyBytes: got -1 (expected a positive integer number of bytes)',
    ]);
  });

  test('maxConnectionsPerBackend must be an integer of at least 0', () => {
    assertErrors({ ...example(), upstream: { maxConnectionsPerBackend: -1 } }, [
      'upstream.maxConnectionsPerBackend: got -1 (expected an integer >= 0; 0 means unbounded)',
    ]);
  });

  test('log.level must be a known level', () => {
    assertErrors({ ...example(), log: { level: 'verbose' } }, [
      'log.level: unknown log level "verbose" (known: debug, error, fatal, info, silent, trace, warn)',
    ]);
  });
});

describe('telemetry', () => {
  test('telemetry is required, for its sources', () => {
    const { telemetry: _omitted, ...rest } = example();
    assertErrors(rest, [
      'telemetry: missing (required: a mapping with at least one load source: url, prometheus, or inBand: true)',
    ]);
  });

  test('a telemetry section must name a load source itself', () => {
    assertErrors({ ...example(), telemetry: { intervalMs: 500 } }, [
      'telemetry: no load source (set at least one load source: url, prometheus, or inBand: true)',
    ]);
    assertErrors({ ...example(), telemetry: { inBand: false } }, [
      'telemetry: no load source: inBand is false and neither url nor prometheus is set (set at least one load source: url, prometheus, or inBand: true)',
    ]);
    // An invalid url is reported as such, not as a missing source.
    assertErrors({ ...example(), telemetry: { url: 42 } }, [
      'telemetry.url: got 42 (expected an http(s) URL, e.g. "http://127.0.0.1:9100/telemetry")',
    ]);
  });

  test('the url is optional once another source is set; in-band alone is a source when switched on', () => {
    const inBandOnly = accepted({ ...example(), telemetry: { inBand: true } }).telemetry;
    assert.equal(inBandOnly.url, null);
    assert.equal(inBandOnly.prometheus, null);
    assert.equal(inBandOnly.inBand, true);
    const jsonOnly = accepted({ ...example(), telemetry: { url: 'http://t/x', inBand: false } }).telemetry;
    assert.equal(jsonOnly.inBand, false);
    assert.equal(accepted(minimal()).telemetry.inBand, true, 'in-band is on by default');
    assertErrorAt(
      { ...example(), telemetry: { url: 'http://t/', inBand: 'yes' } },
      'telemetry.inBand',
      'true or false',
    );
  });

  test('telemetry.url must be an http(s) URL', () => {
    assertErrorAt(
      { ...example(), telemetry: { url: 'ftp://127.0.0.1/t' } },
      'telemetry.url',
      'unsupported scheme "ftp"',
      'http(s)',
    );
    assertErrorAt({ ...example(), telemetry: { url: '127.0.0.1:9100' } }, 'telemetry.url');
    assertErrorAt({ ...example(), telemetry: { url: 'not a url' } }, 'telemetry.url', 'not a URL: "not a url"');
  });

  test('staleAfterMs shorter than intervalMs is rejected, equal is fine', () => {
    assertErrors(
      { ...example(), telemetry: { url: 'http://t/', intervalMs: 1000, staleAfterMs: 900, timeoutMs: 500 } },
      [
        'telemetry.staleAfterMs: 900 is shorter than telemetry.intervalMs 1000 (at least 1000, or every report goes stale between two polls)',
      ],
    );
    accepted({ ...example(), telemetry: { url: 'http://t/', intervalMs: 1000, staleAfterMs: 1000, timeoutMs: 500 } });
  });

  test('a timeout longer than staleAfterMs is rejected, and a default is called a default', () => {
    assertErrors({ ...example(), telemetry: { url: 'http://t/', timeoutMs: 5000 } }, [
      'telemetry.timeoutMs: 5000 is longer than the default telemetry.staleAfterMs 3000 (at most 3000, so that a hung poll is given up before the data it would refresh goes stale)',
    ]);
    assertErrorAt(
      { ...example(), telemetry: { url: 'http://t/', intervalMs: 100, staleAfterMs: 800 } },
      'telemetry.timeoutMs',
      'the default 1000 is longer than telemetry.staleAfterMs 800',
    );
  });
});

describe('telemetry.prometheus', () => {
  const queries = {
    capacityQuery: 'count by (region, model_name) (vllm:num_requests_running) * 256',
    inUseQuery: 'sum by (region, model_name) (vllm:num_requests_running + vllm:num_requests_waiting)',
  };

  test('a Prometheus source alone is enough; labels default to region and model', () => {
    const telemetry = accepted({
      ...example(),
      telemetry: { prometheus: { url: 'http://127.0.0.1:9090/', ...queries } },
    }).telemetry;
    assert.equal(telemetry.url, null);
    assert.deepEqual(telemetry.prometheus, {
      url: 'http://127.0.0.1:9090',
      ...queries,
      regionLabel: 'region',
      modelLabel: 'model',
    });
  });

  test('the base URL keeps its path prefix (without trailing slashes) and its credentials', () => {
    const at = (url: string) =>
      accepted({ ...example(), telemetry: { prometheus: { url, ...queries, modelLabel: 'model_name' } } }).telemetry
        .prometheus;
    assert.equal(at('https://mimir.example/prometheus//')?.url, 'https://mimir.example/prometheus');
    assert.equal(at('http://u:p@prom:9090')?.url, 'http://u:p@prom:9090');
    assert.equal(at('http://prom:9090')?.modelLabel, 'model_name');
  });

  test('every problem of the section is listed with its own key path', () => {
    assertErrors({ ...example(), telemetry: { prometheus: { url: 'http://p:9090/?x=1', inUseQuery: ' ' } } }, [
      'telemetry.prometheus.url: has a query "?x=REDACTED" (the base URL only; the router appends /api/v1/query?query=...)',
      'telemetry.prometheus.capacityQuery: missing (required: a PromQL instant query with one sample per region and model, e.g. "sum by (region, model) (vllm:num_requests_running)")',
      'telemetry.prometheus.inUseQuery: got " " (expected a PromQL instant query with one sample per region and model, e.g. "sum by (region, model) (vllm:num_requests_running)")',
    ]);
    assertErrors(
      {
        ...example(),
        telemetry: {
          prometheus: { url: 'ftp://p', ...queries, regionLabel: 'the-region', modelLabel: '1model', extra: 1 },
        },
      },
      [
        'telemetry.prometheus.extra: unknown key (known: capacityQuery, inUseQuery, modelLabel, regionLabel, url)',
        'telemetry.prometheus.url: unsupported scheme "ftp" (expected the http(s) base URL of a Prometheus-compatible HTTP API, e.g. "http://127.0.0.1:9090")',
        'telemetry.prometheus.regionLabel: got "the-region" (expected a Prometheus label name: letters, digits and _, not starting with a digit)',
        'telemetry.prometheus.modelLabel: got "1model" (expected a Prometheus label name: letters, digits and _, not starting with a digit)',
      ],
    );
  });

  test('region and model need two different labels; a section that is not a mapping is named', () => {
    assertErrors(
      { ...example(), telemetry: { prometheus: { url: 'http://p', ...queries, regionLabel: 'x', modelLabel: 'x' } } },
      [
        'telemetry.prometheus.modelLabel: is the same label as regionLabel ("x") (two different labels: one names the region, the other the model)',
      ],
    );
    assertErrors({ ...example(), telemetry: { prometheus: 'http://p:9090' } }, [
      'telemetry.prometheus: got "http://p:9090" (expected a mapping with url, capacityQuery and inUseQuery)',
    ]);
  });

  test('an empty prometheus key (YAML null) means no Prometheus source', () => {
    const telemetry = accepted({ ...example(), telemetry: { url: 'http://t/', prometheus: null } }).telemetry;
    assert.equal(telemetry.prometheus, null);
  });
});

describe('zones', () => {
  test('zones is required and must be a mapping of zone to regions', () => {
    const { zones: _omitted, ...rest } = example();
    assertErrors(rest, [
      'zones: missing (required: a mapping of data zone -> its regions, e.g. us: [eastus2, centralus])',
    ]);
    assertErrorAt({ ...example(), zones: ['eastus2'] }, 'zones', 'got a list');
  });

  test('at least one zone is required', () => {
    assertErrorAt({ ...example(), zones: {} }, 'zones', 'no data zones');
  });

  test('a zone needs a non-empty list of region names', () => {
    const zones = { us: ['eastus2', 'centralus'], eu: ['swedencentral'], apac: [], latam: 'brazilsouth', mea: ['', 7] };
    const errors = rejected({ ...example(), zones });
    assert.deepEqual(
      errors.filter((error) => error.startsWith('zones.')),
      [
        'zones.apac: no regions (at least one region name)',
        'zones.latam: got "brazilsouth" (expected a list of region names)',
        'zones.mea[0]: got "" (expected a non-empty region name)',
        'zones.mea[1]: got 7 (expected a non-empty region name)',
      ],
    );
  });

  test('a region listed twice in one zone names the first place', () => {
    assertErrors({ ...example(), zones: { us: ['eastus2', 'centralus', 'eastus2'], eu: ['swedencentral'] } }, [
      'zones.us[2]: duplicate region "eastus2" (already at zones.us[0]; list it once)',
    ]);
  });

  test('a region in two zones names both zones', () => {
    assertErrors({ ...example(), zones: { us: ['eastus2'], eu: ['swedencentral', 'eastus2'] } }, [
      'zones.eu[1]: region "eastus2" is already in data zone "us" at zones.us[0] (a region belongs to at most one data zone)',
    ]);
  });

  test('zone names that are not plain words are quoted in the key path', () => {
    assertErrorAt({ ...example(), zones: { ...example().zones, 'eu.west': [] } }, 'zones["eu.west"]', 'no regions');
  });
});

describe('backends', () => {
  test('backends must be a non-empty list', () => {
    assertErrorAt({ ...example(), backends: [] }, 'backends', 'empty list');
    assertErrorAt({ ...example(), backends: { region: 'eastus2' } }, 'backends', 'got a mapping');
  });

  test('a backend region must be declared in a zone, and the error lists the known regions', () => {
    assertErrors(
      { ...example(), backends: [...example().backends, { region: 'westus', url: 'http://127.0.0.1:9003' }] },
      [
        'backends[2].region: region "westus" is not in any data zone (known regions: centralus, eastus2, norwayeast, swedencentral; declare it under zones)',
      ],
    );
  });

  test('a backend url is an origin: no path, query or fragment', () => {
    assertErrors(
      {
        ...example(),
        backends: [
          { region: 'eastus2', url: 'http://127.0.0.1:9001/v1?x=1' },
          { region: 'swedencentral', url: 'http://127.0.0.1:9002' },
        ],
      },
      [
        'backends[0].url: has a path "/v1" and a query "?x=REDACTED" (an origin only, e.g. "http://127.0.0.1:9001"; request paths are forwarded as they come)',
      ],
    );
    assertErrorAt(
      { ...example(), backends: [{ region: 'eastus2', url: 'http://h:1/#x' }] },
      'backends[0].url',
      'a fragment "#REDACTED"',
    );
    assertErrorAt(
      { ...example(), backends: [{ region: 'eastus2', url: 'http://u:p@h:1' }] },
      'backends[0].url',
      'credentials',
    );
  });

  test('a problem with a URL never quotes its credentials or query values', () => {
    const key = 'fnkey-Zm9vYmFy';
    const problems = [
      ...rejected({ ...example(), backends: [{ region: 'eastus2', url: `http://h:1/?code=${key}` }] }),
      ...rejected({ ...example(), telemetry: { url: `http://ops:${key}@h:99999/t?code=${key}` } }),
      ...rejected({
        ...example(),
        telemetry: { prometheus: { url: `http://p:9090/#access_token=${key}`, capacityQuery: 'c', inUseQuery: 'u' } },
      }),
    ].filter((problem) => problem.includes('url: '));
    assert.equal(problems.length, 3, problems.join('\n'));
    for (const problem of problems) assert.doesNotMatch(problem, new RegExp(key), problem);
    assert.match(problems.join('\n'), /"\?code=REDACTED"/);
  });

  test('a backend url must be http or https', () => {
    assertErrorAt(
      { ...example(), backends: [{ region: 'eastus2', url: 'grpc://h:1' }] },
      'backends[0].url',
      'unsupported scheme "grpc"',
    );
    assertErrorAt(
      { ...example(), backends: [{ region: 'eastus2', url: 'h:1' }] },
      'backends[0].url',
      'unsupported scheme "h"',
    );
    assertErrorAt({ ...example(), backends: [{ region: 'eastus2', url: '' }] }, 'backends[0].url', 'not a URL');
  });

  test('a backend needs both region and url', () => {
    assertErrors(
      {
        ...example(),
        backends: [
          { url: 'http://h:1' },
          { region: 'eastus2' },
          'http://h:2',
          { region: 'swedencentral', url: 'http://127.0.0.1:9002' },
        ],
      },
      [
        'backends[0].region: missing (required: a region name declared under zones)',
        'backends[1].url: missing (required: an http(s) origin, scheme://host[:port] without a path, e.g. "http://10.0.0.5:9001")',
        'backends[2]: got "http://h:2" (expected a mapping with keys: deploymentNames, headers, region, tls, url)',
      ],
    );
  });

  test('the same region and url twice is a duplicate, even when spelled differently', () => {
    const backends = [
      { region: 'eastus2', url: 'http://127.0.0.1:9001' },
      { region: 'swedencentral', url: 'http://127.0.0.1:9001' },
      { region: 'eastus2', url: 'http://127.0.0.1:9001/' },
    ];
    assertErrors({ ...example(), backends }, [
      'backends[2]: duplicate backend (same region and url as backends[0]; list each once)',
    ]);
  });
});

describe('deployments', () => {
  test('deployments must be a non-empty list', () => {
    assertErrorAt({ ...example(), deployments: [] }, 'deployments', 'empty list');
  });

  test('a name must be usable in a URL path', () => {
    const deployments = [
      { name: 'chat eu', model: 'm', type: 'global' },
      { name: 'chat/eu', model: 'm', type: 'global' },
      { name: '..', model: 'm', type: 'global' },
      { name: 'Chat_2.v-1', model: 'm', type: 'global' },
    ];
    assertErrors({ ...example(), deployments }, [
      'deployments[0].name: got "chat eu" (expected letters, digits, ".", "_" or "-", e.g. "chat-eu"; it is used in URL paths)',
      'deployments[1].name: got "chat/eu" (expected letters, digits, ".", "_" or "-", e.g. "chat-eu"; it is used in URL paths)',
      'deployments[2].name: ".." cannot be a URL path segment (expected letters, digits, ".", "_" or "-", e.g. "chat-eu"; it is used in URL paths)',
    ]);
  });

  test('a duplicate name names the earlier index', () => {
    const deployments = [...example().deployments, { name: 'chat-eu', model: 'other', type: 'global' }];
    assertErrors({ ...example(), deployments }, [
      'deployments[3].name: duplicate deployment name "chat-eu" (already used by deployments[1]; names must be unique)',
    ]);
  });

  test('deployments of one model count in one capacity unit; an unknown unit lists the known ones', () => {
    const deployments = [
      { name: 'a', model: 'm', type: 'global', capacityUnit: 'concurrent-tokens' },
      { name: 'b', model: 'm', type: 'global' },
      { name: 'c', model: 'other', type: 'global', capacityUnit: 'tokens' },
    ];
    assertErrors({ ...example(), deployments }, [
      'deployments[1].capacityUnit: capacity unit requests (deployments[0] counts model "m" in concurrent-tokens; deployments of one model share a unit)',
      'deployments[2].capacityUnit: unknown capacity unit "tokens" (known: concurrent-tokens, requests, tokens-per-minute)',
    ]);
    const agreed = deployments.slice(0, 2).map((d) => ({ ...d, capacityUnit: undefined }));
    const ok = validateConfig({ ...example(), deployments: agreed, routing: { capacityUnit: 'tokens-per-minute' } });
    assert.ok(ok.ok, 'routing.capacityUnit is the default of every deployment');
  });

  test('name, model and type are required and model must be non-empty', () => {
    assertErrors({ ...example(), deployments: [{ model: '' }] }, [
      'deployments[0].name: missing (required: letters, digits, ".", "_" or "-", e.g. "chat-eu"; it is used in URL paths)',
      'deployments[0].model: got "" (expected a non-empty model name, e.g. "gpt-5.2")',
      'deployments[0].type: missing (required: one of: datazone, global, regional)',
    ]);
  });

  test('an unknown type lists the known types', () => {
    assertErrors({ ...example(), deployments: [{ name: 'a', model: 'm', type: 'zonal', zone: 'eu' }] }, [
      'deployments[0].type: unknown deployment type "zonal" (known: datazone, global, regional)',
    ]);
  });

  test('a datazone deployment with an unknown zone gets the message of the contract', () => {
    const deployments = [
      { name: 'chat-global', model: 'gpt-5.2', type: 'global' },
      { name: 'chat-eu', model: 'gpt-5.2', type: 'datazone', zone: 'euw' },
    ];
    assertErrors({ ...example(), deployments }, ['deployments[1].zone: unknown data zone "euw" (known: eu, us)']);
  });

  test('a datazone deployment requires a zone', () => {
    assertErrors({ ...example(), deployments: [{ name: 'a', model: 'm', type: 'datazone' }] }, [
      'deployments[0].zone: missing (required: the data zone of a datazone deployment, one of: eu, us)',
    ]);
  });

  test('a datazone deployment needs a zone with at least one backend', () => {
    const zones = { ...example().zones, apac: ['japaneast'] };
    assertErrors({ ...example(), zones, deployments: [{ name: 'a', model: 'm', type: 'datazone', zone: 'apac' }] }, [
      'deployments[0].zone: data zone "apac" has no region with a backend (its regions: japaneast; regions with a backend: eastus2, swedencentral)',
    ]);
  });

  test('a regional deployment needs a region that has a backend', () => {
    const deployments = [
      ...example().deployments,
      { name: 'chat-west', model: 'gpt-5.2', type: 'regional', region: 'westus' },
    ];
    assertErrors({ ...example(), deployments }, [
      'deployments[3].region: region "westus" has no backend (regions with a backend: eastus2, swedencentral)',
    ]);
    assertErrorAt(
      { ...example(), deployments: [{ name: 'a', model: 'm', type: 'regional', region: 'centralus' }] },
      'deployments[0].region',
      'region "centralus" has no backend',
    );
  });

  test('a regional deployment requires a region', () => {
    assertErrors({ ...example(), deployments: [{ name: 'a', model: 'm', type: 'regional' }] }, [
      'deployments[0].region: missing (required: the region of a regional deployment; regions with a backend: eastus2, swedencentral)',
    ]);
  });

  test('zone and region are rejected on types that do not take them, naming the type that does', () => {
    const deployments = [
      { name: 'a', model: 'm', type: 'global', zone: 'eu' },
      { name: 'b', model: 'm', type: 'datazone', zone: 'eu', region: 'swedencentral' },
      { name: 'c', model: 'm', type: 'regional', region: 'eastus2', zone: 'us' },
    ];
    assertErrors({ ...example(), deployments }, [
      'deployments[0].zone: a global deployment takes no zone (only type datazone has one; remove it or set type: datazone)',
      'deployments[1].region: a datazone deployment takes no region (only type regional has one; remove it or set type: regional)',
      'deployments[2].zone: a regional deployment takes no zone (only type datazone has one; remove it or set type: datazone)',
    ]);
  });

  test('a null zone or region counts as absent', () => {
    const config = accepted({
      ...example(),
      deployments: [{ name: 'a', model: 'm', type: 'global', zone: null, region: null }],
    });
    assert.deepEqual(config.deployments, [
      { name: 'a', model: 'm', type: 'global', zone: null, region: null, admission: null, capacityUnit: null },
    ]);
  });
});

describe('listeners', () => {
  test('listen and admin on the same host and port are rejected', () => {
    assertErrors({ ...example(), admin: { host: '127.0.0.1', port: 8080 } }, [
      'admin.port: 127.0.0.1:8080 is also the listen address (listen and admin need different ports, or port 0 for any free port)',
    ]);
  });

  test('a clash caused by a default is reported on the key the file sets', () => {
    assertErrorAt({ ...minimal(), listen: { port: 8081 } }, 'listen.port', '127.0.0.1:8081 is also the admin address');
  });

  test('port 0 on both listeners, or the same port on different hosts, is fine', () => {
    accepted({ ...example(), listen: { port: 0 }, admin: { port: 0 } });
    accepted({ ...example(), listen: { host: '10.0.0.1', port: 8080 }, admin: { host: '127.0.0.1', port: 8080 } });
  });
});

describe('collecting problems', () => {
  test('every problem of a config is listed, in document order', () => {
    const raw = {
      listen: { port: 'http' },
      zones: { us: ['eastus2'], eu: ['eastus2'] },
      backends: [{ region: 'westus', url: 'http://h:1/api' }],
      deployments: [
        { name: 'a', model: 'm', type: 'datazone', zone: 'euw' },
        { name: 'a', model: 'm', type: 'regional', region: 'centralus' },
      ],
      telemetry: { url: 'http://t/', intervalMS: 100 },
      log: { level: 'loud' },
    };
    assert.deepEqual(
      rejected(raw).map((error) => error.slice(0, error.indexOf(': '))),
      [
        'listen.port',
        'zones.eu[0]',
        'backends[0].region',
        'backends[0].url',
        'deployments[0].zone',
        'deployments[1].name',
        'deployments[1].region',
        'telemetry.intervalMS',
        'log.level',
      ],
    );
  });

  test('a broken zones section does not cascade into errors about every backend', () => {
    assertErrors({ ...example(), zones: 'us' }, [
      'zones: got "us" (expected a mapping of data zone -> its regions, e.g. us: [eastus2, centralus])',
    ]);
  });

  test('an invalid backend url does not also leave its region without a backend', () => {
    const backends = [
      { region: 'eastus2', url: 'http://h:1/x' },
      { region: 'swedencentral', url: 'http://h:2' },
    ];
    assert.equal(rejected({ ...example(), backends }).length, 1);
  });
});

describe('admin.token', () => {
  const withToken = (token: unknown) => ({ ...example(), admin: { host: '127.0.0.1', port: 8081, token } });

  test('admin.token expands ${NAME} from the environment', () => {
    assert.equal(accepted(withToken('${ADMIN_TOKEN}'), { ADMIN_TOKEN: 'abc-123' }).admin.token, 'abc-123');
  });

  test('an unset variable in admin.token is listed with every other problem', () => {
    const raw = {
      ...withToken('${NOT_SET_ANYWHERE}'),
      limits: { requestBodyTimeoutMs: 0, clientReadTimeoutMs: 'soon' },
    };
    assert.deepEqual(rejected(raw, {}), [
      'admin.token: environment variable "NOT_SET_ANYWHERE" is not set (set it, or remove admin.token to leave the admin listener open)',
      'limits.requestBodyTimeoutMs: got 0 (expected a positive integer number of milliseconds, at most 2147483647)',
      'limits.clientReadTimeoutMs: got "soon" (expected a positive integer number of milliseconds, at most 2147483647)',
    ]);
  });

  test('an admin token must be usable in an Authorization header', () => {
    const at = (token: unknown, env: Env = {}) => {
      const result = validateConfig(withToken(token), env);
      return result.ok ? [] : result.errors;
    };
    assert.match(at('')[0] ?? '', /^admin\.token: /);
    assert.match(at('has space')[0] ?? '', /^admin\.token: contains a space or control character/);
    assert.match(at('${EMPTY}', { EMPTY: '' })[0] ?? '', /^admin\.token: is empty once \$\{EMPTY\} is expanded/);
    assert.match(at(42)[0] ?? '', /^admin\.token: got 42/);
    assert.deepEqual(at('plain-token'), []);
  });
});

describe('resilience sections', () => {
  test('each resilience section is validated by key path', () => {
    const errors = rejected({
      ...minimal(),
      outlier: { maxEjectionPercent: 150, baseEjectionMs: 1000, maxEjectionMs: 10, enabled: 'yes' },
      retry: { maxAttempts: 0 },
      cooldown: { maxMs: -1 },
      shedding: { maxInFlight: 1.5 },
      slowStart: { minWeightPercent: 0, aggression: 100 },
    });
    for (const path of [
      'outlier.maxEjectionPercent',
      'outlier.enabled',
      'retry.maxAttempts',
      'cooldown.maxMs',
      'shedding.maxInFlight',
      'slowStart.minWeightPercent',
      'slowStart.aggression',
    ]) {
      assert.ok(
        errors.some((e) => e.startsWith(`${path}: `)),
        `no problem reported at ${path}:\n${errors.join('\n')}`,
      );
    }
  });

  test('a maximum shorter than its base is an error naming both', () => {
    assertErrorAt(
      { ...minimal(), outlier: { baseEjectionMs: 1000, maxEjectionMs: 10 } },
      'outlier.maxEjectionMs',
      'baseEjectionMs 1000',
    );
    assertErrorAt(
      { ...minimal(), retry: { backoffBaseMs: 100, backoffMaxMs: 10 } },
      'retry.backoffMaxMs',
      'backoffBaseMs 100',
    );
  });
});

describe('admission', () => {
  test('every problem of the section and of a deployment override is listed by key path', () => {
    const errors = rejected({
      ...minimal(),
      admission: {
        maxWaitMs: -1,
        defaultPriority: 11,
        objectives: { interactive: 5, batch: 'low', huge: -20 },
        fairnessHeader: 'x tenant',
      },
      deployments: [{ ...minimal().deployments[0], admission: { maxQueued: -3, defaultPriority: 2.5, maxWait: 1 } }],
    });
    for (const path of [
      'admission.maxWaitMs',
      'admission.defaultPriority',
      'admission.objectives.batch',
      'admission.objectives.huge',
      'admission.fairnessHeader',
      'deployments[0].admission.maxQueued',
      'deployments[0].admission.defaultPriority',
      'deployments[0].admission.maxWait',
    ]) {
      assert.ok(
        errors.some((e) => e.startsWith(`${path}: `)),
        `no problem reported at ${path}:\n${errors.join('\n')}`,
      );
    }
    assert.ok(errors.some((e) => /an integer from -10 to 10/.test(e)));
  });

  test("a deployment's override takes only the keys it sets; the rest stay the section's", () => {
    const config = accepted({
      ...minimal(),
      admission: { maxWaitMs: 2000, objectives: { batch: -1 } },
      deployments: [{ ...minimal().deployments[0], admission: { maxWaitMs: 0 } }],
    });
    assert.deepEqual(config.deployments[0]?.admission, {
      maxWaitMs: 0,
      maxQueued: null,
      maxQueuedBytes: null,
      defaultPriority: null,
    });
    assert.equal(config.admission.maxWaitMs, 2000);
    assert.deepEqual(config.admission.objectives, { batch: -1 });
  });
});

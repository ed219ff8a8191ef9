import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { contractExample } from '../helpers/config-fixtures.js';

const CONTRACT_YAML = `listen: { host: 127.0.0.1, port: 8080 }        # data plane
admin:  { host: 127.0.0.1, port: 8081 }        # /capacity /metrics /healthz /readyz
zones:                                         # data zone -> its regions
  us: [eastus2, centralus]
  eu: [swedencentral, norwayeast]
backends:                                      # one or more per region
  - { region: eastus2, url: "http://127.0.0.1:9001" }
  - { region: swedencentral, url: "http://127.0.0.1:9002" }
deployments:
  - { name: chat-global, model: gpt-5.2, type: global }
  - { name: chat-eu,     model: gpt-5.2, type: datazone, zone: eu }
  - { name: chat-east,   model: gpt-5.2, type: regional, region: eastus2 }
telemetry:
  url: "http://127.0.0.1:9100/telemetry"        # polled with GET
  intervalMs: 500
  staleAfterMs: 3000        # a report older than this counts as missing
  minCoverage: 0.75         # below this fraction of fresh regions: conservative mode
conservative:
  maxShareFactor: 1.5       # >= 1; in conservative mode no region gets more than factor / N
limits:
  maxBodyBytes: 16777216    # larger request bodies get 413
`;

const CONTRACT_OBJECT = contractExample();

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function errorsOf(result: { ok: true } | { ok: false; errors: string[] }): string[] {
  if (result.ok) assert.fail('expected the config to be rejected');
  return result.errors;
}

describe('loading config files', () => {
  test('the contract example loads from YAML and from JSON into the same config', async () => {
    const fromYaml = await loadConfigFile(await file('config.yaml', CONTRACT_YAML));
    const fromJson = await loadConfigFile(await file('config.json', JSON.stringify(CONTRACT_OBJECT, null, 2)));
    assert.ok(fromYaml.ok, JSON.stringify(fromYaml));
    assert.ok(fromJson.ok, JSON.stringify(fromJson));
    assert.deepEqual(fromYaml.config, fromJson.config);
    assert.equal(fromYaml.config.upstream.connectTimeoutMs, 2000);
    assert.equal(fromYaml.config.deployments[1]?.zone, 'eu');
  });

  test('a .yml file and a file without extension are read as YAML', async () => {
    assert.ok((await loadConfigFile(await file('config.yml', CONTRACT_YAML))).ok);
    assert.ok((await loadConfigFile(await file('switchyard-config', CONTRACT_YAML))).ok);
  });

  test('a missing file gives one error naming the path and the OS reason', async () => {
    const path = join(dir, 'nope.yaml');
    assert.deepEqual(errorsOf(await loadConfigFile(path)), [
      `${path}: cannot read the config file: ENOENT: no such file or directory`,
    ]);
  });

  test('a directory instead of a file gives one error with the OS reason', async () => {
    const errors = errorsOf(await loadConfigFile(dir));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /: cannot read the config file: EISDIR/);
  });

  test('validation problems of a file are reported by key path', async () => {
    const path = await file('bad-zone.yaml', CONTRACT_YAML.replace('zone: eu', 'zone: euw'));
    assert.deepEqual(errorsOf(await loadConfigFile(path)), [
      'deployments[1].zone: unknown data zone "euw" (known: eu, us)',
    ]);
  });
});

describe('parsing config text', () => {
  test('a YAML syntax error reports file, line and column on one line', () => {
    const text = 'listen:\n  host: 127.0.0.1\n  port: [8080\nzones: {}\n';
    const errors = errorsOf(parseConfigText(text, 'config.yaml'));
    assert.ok(errors.length >= 1);
    for (const error of errors) {
      assert.match(error, /^config\.yaml:\d+:\d+: YAML: /);
      assert.doesNotMatch(error, /\n/);
    }
    assert.match(errors[0] ?? '', /^config\.yaml:4:1: YAML: /);
  });

  test('a duplicate YAML key is a syntax error with its line', () => {
    const text = 'telemetry:\n  url: http://a/\n  url: http://b/\n';
    assert.deepEqual(errorsOf(parseConfigText(text, 'dup.yaml')), ['dup.yaml:3:3: YAML: Map keys must be unique']);
  });

  test('an alias to an undefined anchor is reported', () => {
    const errors = errorsOf(parseConfigText('zones: *missing\n', 'alias.yaml'));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^alias\.yaml: YAML: Unresolved alias/);
  });

  test('a JSON syntax error reports file, line and column', () => {
    const text = '{\n  "zones": {},\n  "backends": [],\n}\n';
    assert.deepEqual(errorsOf(parseConfigText(text, 'config.json')), [
      'config.json:4:1: JSON: Expected double-quoted property name',
    ]);
  });

  test('a JSON error without a position still names the file on one line', () => {
    const errors = errorsOf(parseConfigText('{\n"a": [1,]\n}', 'config.json'));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^config\.json(:\d+:\d+)?: JSON: /);
    assert.doesNotMatch(errors[0] ?? '', /\n/);
  });

  test('a truncated JSON file points at its end', () => {
    assert.deepEqual(errorsOf(parseConfigText('{\n  "zones":\n\n', 'cut.json')), [
      'cut.json:2:11: JSON: Unexpected end of JSON input',
    ]);
  });

  test('the extension decides the format, whatever its case', () => {
    assert.match(errorsOf(parseConfigText('zones: {}', 'CONFIG.JSON'))[0] ?? '', /^CONFIG\.JSON(:\d+:\d+)?: JSON: /);
  });

  test('an empty or comment-only document is an error', () => {
    const expected = (name: string) => [
      `${name}: empty document (expected a mapping with at least zones, backends, deployments and telemetry)`,
    ];
    assert.deepEqual(errorsOf(parseConfigText('', 'a.yaml')), expected('a.yaml'));
    assert.deepEqual(errorsOf(parseConfigText('# nothing yet\n', 'b.yaml')), expected('b.yaml'));
    assert.deepEqual(errorsOf(parseConfigText(' \n', 'c.json')), expected('c.json'));
  });

  test('a byte-order mark at the start is ignored', () => {
    assert.ok(parseConfigText(`\uFEFF${JSON.stringify(CONTRACT_OBJECT)}`, 'bom.json').ok);
    assert.ok(parseConfigText(`\uFEFF${CONTRACT_YAML}`, 'bom.yaml').ok);
  });

  test('a YAML document that is a list is rejected at the root', () => {
    const errors = errorsOf(parseConfigText('- a\n- b\n', 'list.yaml'));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^\(root\): got a list/);
  });
});

// switchyard.schema.json and docs/configuration.md are generated from the configuration
// schema (src/config/schema.ts); a schema change that is not regenerated fails here.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  REFERENCE_FILE,
  REGENERATE,
  SCHEMA_FILE,
  renderJsonSchema,
  renderReference,
} from '../../scripts/config-reference.js';
import * as defaults from '../../src/config/defaults.js';
import { repoRoot } from '../helpers/repo-root.js';

const root = repoRoot();

test('the JSON Schema and the configuration reference are up to date with the schema', () => {
  for (const [file, render] of [
    [SCHEMA_FILE, renderJsonSchema],
    [REFERENCE_FILE, renderReference],
  ] as const) {
    const path = join(root, file);
    const committed = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
    const expected = render().split('\n');
    const line = expected.findIndex((text, i) => committed[i] !== text);
    assert.ok(
      line === -1 && committed.length === expected.length,
      `${file} is out of date with src/config/schema.ts (first difference at line ${line + 1}): run \`${REGENERATE}\` and commit it`,
    );
  }
});

test('the defaults the JSON Schema shows are the ones the validator fills in', () => {
  const schema = JSON.parse(renderJsonSchema()) as {
    properties: Record<string, { properties?: Record<string, { default?: unknown }> }>;
  };
  const sections: Record<string, object> = {
    listen: defaults.DEFAULT_LISTEN,
    admin: defaults.DEFAULT_ADMIN,
    telemetry: defaults.DEFAULT_TELEMETRY,
    conservative: defaults.DEFAULT_CONSERVATIVE,
    limits: defaults.DEFAULT_LIMITS,
    upstream: defaults.DEFAULT_UPSTREAM,
    shutdown: defaults.DEFAULT_SHUTDOWN,
    log: defaults.DEFAULT_LOG,
    outlier: defaults.DEFAULT_OUTLIER,
    retry: defaults.DEFAULT_RETRY,
    cooldown: defaults.DEFAULT_COOLDOWN,
    routing: defaults.DEFAULT_ROUTING,
    shedding: defaults.DEFAULT_SHEDDING,
    affinity: defaults.DEFAULT_AFFINITY,
    slowStart: defaults.DEFAULT_SLOW_START,
  };
  for (const [section, values] of Object.entries(sections)) {
    for (const [key, value] of Object.entries(values)) {
      assert.deepEqual(schema.properties[section]?.properties?.[key]?.default, value, `${section}.${key}`);
    }
  }
});

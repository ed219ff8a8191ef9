// The three-vLLM-clusters examples in the README and docs/telemetry.md are configs the
// router accepts: an operator of vLLM or SGLang clusters can start from them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { validateConfig } from '../../src/config/validate.js';
import { repoRoot } from '../helpers/repo-root.js';

/** The yaml blocks after `heading` in `page`, in order. */
function yamlBlocksAfter(page: string, heading: string): Record<string, unknown>[] {
  const text = readFileSync(join(repoRoot(), page), 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `${page} has ${heading}`);
  return [...text.slice(at).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);
}

test('README: the three vLLM clusters example is a valid config, with Prometheus and in-band sources', () => {
  const [config] = yamlBlocksAfter('README.md', '### Three vLLM clusters');
  const result = validateConfig(config, {});
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  assert.equal(result.config.backends.length, 3);
  const prometheus = result.config.telemetry.prometheus;
  assert.ok(prometheus !== null);
  assert.equal(prometheus.modelLabel, 'model_name');
  assert.equal(result.config.telemetry.url, null, 'no JSON report needed');
  assert.equal(result.config.telemetry.inBand, true);
});

test('docs/telemetry.md: the three vLLM clusters example is a valid config', () => {
  // The first block is Prometheus's own scrape config; the second is switchyard's.
  const [, config] = yamlBlocksAfter('docs/telemetry.md', '### Three vLLM clusters in three regions');
  const result = validateConfig(config, {});
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  assert.equal(result.config.backends.length, 3);
  assert.ok(result.config.telemetry.prometheus !== null);
});

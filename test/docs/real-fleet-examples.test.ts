// The Azure OpenAI examples in the README and docs/real-fleets.md are configs the router
// accepts, given the keys in the environment: an operator can start from them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { validateConfig } from '../../src/config/validate.js';
import { repoRoot } from '../helpers/repo-root.js';

const ENV = {
  AZURE_OPENAI_KEY_EASTUS2: 'k1',
  AZURE_OPENAI_KEY_SWEDEN: 'k2',
  AZURE_OPENAI_KEY_FRANCE: 'k3',
};

/** The first ```yaml block after `heading` in `page`. */
function yamlAfter(page: string, heading: string): unknown {
  const text = readFileSync(join(repoRoot(), page), 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `${page} has ${heading}`);
  const block = /```yaml\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(block, `${page} has a yaml block after ${heading}`);
  return parse(block[1]!);
}

for (const [page, heading] of [
  ['README.md', '### Three Azure OpenAI resources'],
  ['docs/real-fleets.md', '### Example: three Azure OpenAI resources'],
]) {
  test(`${page}: the three Azure OpenAI resources example is a valid config`, () => {
    const result = validateConfig(yamlAfter(page!, heading!), ENV);
    assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
    assert.equal(result.config.backends.length, 3);
    assert.ok(result.config.backends.every((b) => b.url.startsWith('https://') && b.headers['api-key'] !== undefined));
    const missing = validateConfig(yamlAfter(page!, heading!), {});
    assert.ok(!missing.ok && missing.errors.length === 3, 'each key comes from the environment');
  });
}

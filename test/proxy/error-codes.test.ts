import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTER_ERRORS } from '../../src/proxy/errors.js';
import { repoRoot } from '../helpers/repo-root.js';

test('every router error code is documented in the README with its status, and no documented code is gone', () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Errors'));
  const documented = new Map<string, number>();
  for (const m of section.matchAll(/^\| `(\w+)` \| (\d{3}) \|/gm)) documented.set(m[1]!, Number(m[2]));
  assert.deepEqual(
    Object.fromEntries([...documented].sort()),
    Object.fromEntries(Object.entries(ROUTER_ERRORS).sort()),
  );
});

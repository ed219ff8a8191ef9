import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTER_ERRORS, ROUTER_ERROR_TYPES } from '../../src/proxy/errors.js';
import { repoRoot } from '../helpers/repo-root.js';

test('every router error code is documented in the README with its status and type, and no documented code is gone', () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Errors'));
  const documented = new Map<string, string>();
  for (const m of section.matchAll(/^\| `(\w+)` \| (\d{3}) \| `(\w+)` \|/gm)) documented.set(m[1]!, `${m[2]} ${m[3]}`);
  assert.deepEqual(
    Object.fromEntries([...documented].sort()),
    Object.fromEntries(
      Object.entries(ROUTER_ERRORS)
        .map(([code, status]) => [code, `${status} ${ROUTER_ERROR_TYPES[code as keyof typeof ROUTER_ERRORS]}`])
        .sort(),
    ),
  );
});

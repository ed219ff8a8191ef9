// The README and docs/ point only inside the repository, at files that exist: someone
// who clones it finds every page they are sent to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/repo-root.js';

const root = repoRoot();
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

test('every relative link in the README and docs/ resolves to a file in the repository', () => {
  let links = 0;
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const path = target!.split('#', 1)[0]!;
      if (path === '') continue;
      links++;
      const file = relative(root, resolve(dirname(join(root, page)), path));
      assert.ok(!file.startsWith('..'), `${page} links outside the repository: ${target}`);
      assert.ok(existsSync(join(root, file)), `${page} links to ${target}, which does not exist`);
    }
  }
  assert.ok(links > 10, `found ${links} links`);
});

test('the docs cover the design, the telemetry format and operations, and the README links each', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const page of ['docs/design.md', 'docs/telemetry.md', 'docs/operations.md', 'docs/configuration.md']) {
    assert.ok(readme.includes(`](${page})`), `README links ${page}`);
  }
  assert.ok(existsSync(join(root, 'LICENSE')));
  assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /^Apache License\s+Version 2\.0, January 2004/);
});

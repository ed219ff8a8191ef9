// Where this repository's scripts are, whether the caller runs compiled (dist/tools/*.js,
// the usual way: every npm script compiles first) or from source under tsx.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');

export const REPO_ROOT = fromSource ? join(here, '..') : join(here, '..', '..');

/** Node flags a child needs to run a script given by `script()`: tsx's loader when running from source. */
export const NODE_ARGS: readonly string[] = fromSource ? ['--import', 'tsx'] : [];

/** A script of this repository by its path from the root without extension ('src/cli'), as node runs it. */
export function script(path: string): string {
  return fromSource ? join(REPO_ROOT, `${path}.ts`) : join(REPO_ROOT, 'dist', `${path}.js`);
}

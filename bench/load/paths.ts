// Where things are, from the compiled file's location (dist/bench/load/*.js).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DIST = join(REPO_ROOT, 'dist');
/** The source directory bench/ (results are written there, not into dist/). */
export const BENCH_DIR = join(REPO_ROOT, 'bench');

export const SWITCHYARD_CLI = join(DIST, 'src', 'cli.js');
export const BACKENDS_CHILD = join(DIST, 'bench', 'load', 'backends.js');
export const HTTP_PROXY_PEER = join(DIST, 'bench', 'peers', 'http-proxy-rr.js');
export const UNDICI_PEER = join(DIST, 'bench', 'peers', 'undici-proxy.js');
export const UNDICI_STREAM_PEER = join(DIST, 'bench', 'peers', 'undici-stream.js');

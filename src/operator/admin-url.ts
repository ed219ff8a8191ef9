// Where the terminal tools find a router's admin listener: --admin URL, else the
// admin address in the config file (the one the router itself reads), else the
// default admin port on this host.
import { loadConfigFile } from '../config/load.js';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081';

/** "host:port" and "http://host:port/" both become "http://host:port". */
export function normaliseAdminUrl(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const url = new URL(withScheme);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The address to connect to for a listener bound to `host`: a wildcard bind (0.0.0.0,
 * ::) is reached on loopback, which is where a health check or an operator on the same
 * host or pod runs.
 */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export type AdminTarget =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly errors: string[] };

export async function adminTarget(adminFlag: string | undefined, configFile: string | undefined): Promise<AdminTarget> {
  if (adminFlag !== undefined) {
    try {
      return { ok: true, url: normaliseAdminUrl(adminFlag) };
    } catch {
      return { ok: false, errors: [`--admin: not a URL: "${adminFlag}" (expected e.g. ${DEFAULT_ADMIN_URL})`] };
    }
  }
  if (configFile === undefined) return { ok: true, url: DEFAULT_ADMIN_URL };
  const loaded = await loadConfigFile(configFile);
  if (!loaded.ok) return { ok: false, errors: [`${configFile}: ${loaded.errors.length} problem(s)`, ...loaded.errors] };
  const { host, port } = loaded.config.admin;
  if (port === 0) {
    return { ok: false, errors: [`${configFile}: admin.port is 0 (any free port); pass --admin URL instead`] };
  }
  return { ok: true, url: `http://${connectHost(host)}:${port}` };
}

// What a reload can and cannot change. Everything the router builds from the config is
// rebuilt from the new one, except the listeners: their sockets are bound (and clients
// hold connections to them), so a new address takes a restart. A backend whose pool
// would be built differently (its origin, region, TLS, or the upstream settings every
// pool is made with) is a new backend: the old one is drained and closed.
import type { BackendConfig, Config, TelemetryConfig, UpstreamConfig } from '../config/types.js';

/** Keys whose change a reload ignores, with the running and the new value (never a secret). */
export interface IgnoredChange {
  readonly key: string;
  readonly running: string | number;
  readonly wanted: string | number;
}

export function restartOnlyChanges(running: Config, next: Config): IgnoredChange[] {
  const changes: IgnoredChange[] = [];
  const compare = (key: string, a: string | number, b: string | number): void => {
    if (a !== b) changes.push({ key, running: a, wanted: b });
  };
  compare('listen.host', running.listen.host, next.listen.host);
  compare('listen.port', running.listen.port, next.listen.port);
  compare('admin.host', running.admin.host, next.admin.host);
  compare('admin.port', running.admin.port, next.admin.port);
  return changes;
}

/** The config as the reload applies it: the new one, on the running listeners. */
export function withRunningListeners(running: Config, next: Config): Config {
  return Object.freeze({
    ...next,
    listen: running.listen,
    admin: Object.freeze({ ...running.admin, token: next.admin.token }),
  });
}

/** Backends with the same key share a pool across a reload. */
export function poolKey(backend: BackendConfig, upstream: UpstreamConfig): string {
  return JSON.stringify([backend.region, backend.url, backend.tls, upstream]);
}

/** Whether the polled sources must be made anew (a source added, removed or changed). */
export function pollersChanged(a: TelemetryConfig, b: TelemetryConfig): boolean {
  return (
    a.url !== b.url ||
    a.intervalMs !== b.intervalMs ||
    a.timeoutMs !== b.timeoutMs ||
    a.maxBodyBytes !== b.maxBodyBytes ||
    JSON.stringify(a.prometheus) !== JSON.stringify(b.prometheus)
  );
}

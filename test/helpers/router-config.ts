// A validated config for tests that build router parts without starting a router: two
// regions a and b in data zone eu, backends on ports nothing listens on, telemetry never
// polled. Overrides replace whole top-level keys.
import { validateConfig } from '../../src/config/validate.js';
import type { Config } from '../../src/config/types.js';

export function twoRegionConfig(overrides: Record<string, unknown> = {}): Config {
  const checked = validateConfig({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    zones: { eu: ['a', 'b'] },
    backends: [
      { region: 'a', url: 'http://127.0.0.1:9001' },
      { region: 'b', url: 'http://127.0.0.1:9002' },
    ],
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'eu' }],
    telemetry: { url: 'http://127.0.0.1:9/telemetry' },
    ...overrides,
  });
  if (!checked.ok) throw new Error(`test config invalid:\n${checked.errors.join('\n')}`);
  return checked.config;
}
